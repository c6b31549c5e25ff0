// Hostile clients for `bwoc a2a serve`, each printing one JSON line:
//   node abuse.mjs idle HOST PORT COUNT SERVER_PID   COUNT connections that send nothing
//   node abuse.mjs slow HOST PORT                    headers at one byte a second
//   node abuse.mjs huge HOST PORT MIB                a body of MIB mebibytes
import net from 'node:net';
import { readFileSync } from 'node:fs';

const [mode, host, portText, arg, pidText] = process.argv.slice(2);
const port = Number(portText);
const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const withTimeout = (p, ms, what) =>
  Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), ms))]);

function request(raw) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, host, () => s.write(raw));
    let data = '';
    s.on('data', (d) => { data += d; });
    s.on('end', () => resolve(data));
    s.on('error', reject);
  });
}

async function idle() {
  const count = Number(arg);
  const before = rssKb(pidText);
  const sockets = await Promise.all(
    Array.from({ length: count }, () => new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => resolve(s));
      s.on('error', reject);
    })),
  );
  // The server must still answer while they hang around.
  // A bound against a hang only: a slow machine answers late, not wrongly.
  const card = await withTimeout(request(`GET /.well-known/agent-card.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), 120000, 'card');
  const during = rssKb(pidText);
  sockets.forEach((s) => s.destroy());
  console.log(JSON.stringify({ count, card_ok: card.startsWith('HTTP/1.1 200'), rss_before_kb: before, rss_during_kb: during }));
}

async function slow() {
  const header = 'GET /.well-known/agent-card.json HTTP/1.1\r\nHost: example\r\nX-Padding: ' + 'a'.repeat(40) + '\r\n\r\n';
  const start = Date.now();
  const result = await new Promise((resolve) => {
    const s = net.connect(port, host);
    let i = 0;
    let got = '';
    const timer = setInterval(() => {
      if (i < header.length) s.write(header[i++]);
    }, 1000);
    s.on('data', (d) => { got += d; });
    s.on('close', () => { clearInterval(timer); resolve({ sent: i, answered: got.length > 0 }); });
    s.on('error', () => {});
  });
  console.log(JSON.stringify({ ...result, of: header.length, closed_after_ms: Date.now() - start }));
}

async function huge() {
  const bytes = Number(arg) * 1024 * 1024;
  const start = Date.now();
  const result = await new Promise((resolve) => {
    const s = net.connect(port, host, () => {
      s.write(`POST /a2a HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${bytes}\r\n\r\n`);
      const chunk = Buffer.alloc(1 << 20, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < bytes) {
          sent += chunk.length;
          if (!s.write(chunk)) return s.once('drain', pump);
        }
      };
      pump();
    });
    let got = '';
    s.on('data', (d) => { got += d; });
    s.on('close', () => resolve(got));
    s.on('error', () => {});
  });
  console.log(JSON.stringify({ status: Number(result.split(' ')[1] || 0), ms: Date.now() - start }));
}

await ({ idle, slow, huge })[mode]();
