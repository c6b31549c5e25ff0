// A tiny HTTP proxy that writes every byte it carries to a log: what a
// TLS-ending proxy in front of `bwoc a2a serve` would see. Used by
// tests/e2e/seal_test.sh to show that a sealed payload never crosses HTTP
// in clear.
//
//   node logging_proxy.mjs TARGET_URL LOG_FILE   -> prints "listening http://127.0.0.1:PORT"
import http from 'node:http';
import { appendFileSync } from 'node:fs';

const [target, log] = process.argv.slice(2);
const upstream = new URL(target);

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    appendFileSync(log, `>>> ${req.method} ${req.url}\n`);
    appendFileSync(log, body);
    appendFileSync(log, '\n');
    const headers = { ...req.headers, host: upstream.host };
    const out = http.request(
      { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers },
      (answer) => {
        const back = [];
        answer.on('data', (c) => back.push(c));
        answer.on('end', () => {
          const data = Buffer.concat(back);
          appendFileSync(log, `<<< ${answer.statusCode}\n`);
          appendFileSync(log, data);
          appendFileSync(log, '\n');
          const h = { ...answer.headers };
          delete h['transfer-encoding'];
          h['content-length'] = String(data.length);
          res.writeHead(answer.statusCode, h);
          res.end(data);
        });
      },
    );
    out.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    out.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
