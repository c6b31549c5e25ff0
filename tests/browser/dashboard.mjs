// `bwoc dashboard` in a real browser: Debian's chromium, headless, driven by
// playwright-core. Run by tests/e2e/dashboard_browser_test.sh, which makes
// the workspaces and starts the dashboard; this checks what a person sees
// and does, and that the CLI agrees. Prints one line per check; exits 1 on
// the first failure, with a screenshot of the page as it was.
//
//   node dashboard.mjs   (env: DASHBOARD_URL, BWOC, WS, PEER_WS, ARTEFACTS, CHROMIUM)
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import { chromium } from 'playwright-core';

const url = new URL(process.env.DASHBOARD_URL);
const token = url.searchParams.get('token');
const base = `${url.protocol}//${url.host}`;
const port = Number(url.port);
const { BWOC, WS, PEER_WS, ARTEFACTS } = process.env;
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
mkdirSync(ARTEFACTS, { recursive: true });

const launchArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const browsers = [];
let current = null; // the page to photograph when a check fails
let checks = 0;

async function fail(message) {
  console.error('FAIL: ' + message);
  if (current) await current.screenshot({ path: `${ARTEFACTS}/failure.png`, fullPage: true }).catch(() => {});
  for (const b of browsers) await b.close().catch(() => {});
  process.exit(1);
}
async function check(condition, message) {
  checks++;
  if (!condition) await fail(message);
  console.log('ok ' + message);
}
function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}
function bwoc(...args) {
  return execFileSync(BWOC, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
const cli = (ws, ...args) => JSON.parse(bwoc('-w', ws, ...args, '--json'));

async function launch(extraArgs = []) {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: [...launchArgs, ...extraArgs] });
  browsers.push(browser);
  return browser;
}

// Opens a page of the dashboard from its navigation, as a person would, and
// waits for it to be drawn.
async function visit(page, path, name) {
  const link = page.locator(`nav a[data-page="${path}"]`);
  await link.click();
  await page.waitForFunction((p) => document.getElementById('main').dataset.page === p &&
    document.getElementById('main').dataset.ready !== 'error', path, { timeout: 20000 });
  await check(page.url() === base + path, `navigated to ${path}`);
  await page.screenshot({ path: `${ARTEFACTS}/${name}.png`, fullPage: true });
}

const browser = await launch();
const context = await browser.newContext();
const page = await context.newPage();
current = page;
const problems = [];
page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
page.on('pageerror', (e) => problems.push(String(e)));

// --- without the token: nothing ----------------------------------------------
let response = await page.goto(base + '/');
await check(response.status() === 401, 'without the token the page is refused (401)');
await check((await page.textContent('body')).includes('carries the token'), 'and says to open the printed address');
await page.screenshot({ path: `${ARTEFACTS}/without-token.png` });
response = await page.goto(base + '/assets/app.js');
await check(response.status() === 401, 'an asset is refused without the token too');
response = await page.goto(base + '/?token=' + 'f'.repeat(64));
await check(response.status() === 401, 'a wrong token is refused');

// --- a wrong Host (another name rebound to 127.0.0.1) ------------------------
{
  const rebinding = await launch(['--host-resolver-rules=MAP rebound.example 127.0.0.1']);
  const evil = await rebinding.newPage();
  const r = await evil.goto(`http://rebound.example:${port}/?token=${token}`);
  await check(r.status() === 421, 'a name rebound to 127.0.0.1 is refused even with the token (421)');
  await check((await evil.context().cookies()).length === 0, 'and gets no cookie');
  await evil.screenshot({ path: `${ARTEFACTS}/wrong-host.png` });
  await rebinding.close();
}

// --- with the token: a cookie, and the token leaves the address bar ---------
problems.length = 0;  // the refusals above are logged by the browser as failed loads
response = await page.goto(url.href);
await check(response.status() === 200, 'with the token the page loads');
await check(page.url() === base + '/', 'the token is dropped from the address');
const cookies = await context.cookies(base);
const cookie = cookies.find((c) => c.name === `bwoc_dashboard_${port}`);
await check(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', 'the cookie is HttpOnly and SameSite=Strict');
await check(!(await page.evaluate(() => document.cookie)).includes('bwoc_dashboard'), 'scripts cannot read the cookie');
const csp = (await page.request.get(base + '/')).headers()['content-security-policy'];
await check(csp && csp.includes("default-src 'none'") && csp.includes("script-src 'self'"), 'a strict CSP comes with the page');

// --- every page, clicked through --------------------------------------------
await page.waitForFunction(() => document.getElementById('main').dataset.page === '/', null, { timeout: 20000 });
await page.screenshot({ path: `${ARTEFACTS}/overview.png`, fullPage: true });
const pages = [['/activity', 'activity'], ['/peers', 'peers'], ['/goals', 'goals'], ['/skills', 'skills'],
  ['/inbox', 'inbox'], ['/refusals', 'refusals'], ['/', 'overview']];
for (const [path, name] of pages) await visit(page, path, name);
await check(problems.length === 0, 'no script error and no CSP violation on any page: ' + problems.join(' | '));

// --- what the pages show is what the CLI prints -------------------------------
const status = cli(WS, 'status');
await check(await page.textContent('#fingerprint') === status.fingerprint, 'overview: the fingerprint is the CLI\'s');
await check(await page.textContent('#count-peers') === String(status.peers.length), 'overview: as many peers as the CLI');
await check(await page.textContent('#count-refusals') === String(status.refusals_24h.total), 'overview: the same refusals in 24 h');

await visit(page, '/peers', 'peers');
await page.waitForFunction(() => document.getElementById('peers-holder').dataset.probed === 'yes', null, { timeout: 20000 });
for (const p of cli(WS, 'trust', 'list')) {
  const tier = await page.getAttribute(`tr[data-peer="${p.peer}"] td.tier`, 'data-tier');
  await check(tier === String(p.tier), `peers: ${p.peer} is tier ${p.tier}, as \`bwoc trust list\` says`);
}
const reach = await page.textContent('tr[data-peer] td.reach');
await check(reach.includes('reachable'), 'peers: the peer is probed and reachable');

await visit(page, '/inbox', 'inbox');
const inboxCli = cli(WS, 'inbox', 'list', 'agent-a', '-n', '0');
const inboxIds = await page.$$eval('#inbox tbody tr', (rows) => rows.map((r) => r.dataset.id));
await check(same(inboxIds.slice().sort(), inboxCli.map((e) => e.id).sort()), 'inbox: the same envelopes as `bwoc inbox list`');
const verify = cli(WS, 'inbox', 'verify', 'agent-a');
await check((await page.textContent('#verification')).startsWith(`${verify.lines} lines, ${verify.verified} verified`),
  'inbox: verified as `bwoc inbox verify` says');

await visit(page, '/refusals', 'refusals');
const refusalsCli = cli(WS, 'inbox', 'refusals', '-n', '0');
const reasons = await page.$$eval('#refusals tbody tr', (rows) => rows.map((r) => r.dataset.reason));
await check(same(reasons.slice().sort(), refusalsCli.map((r) => r.reason).sort()) && reasons.length > 0,
  'refusals: the same reasons as `bwoc inbox refusals`');

await visit(page, '/skills', 'skills');
for (const s of cli(WS, 'skills', 'list')) {
  const v = await page.textContent(`tr[data-skill="${s.agent}/${s.name}"] td.visibility`);
  await check(v === s.visibility, `skills: ${s.name} is ${s.visibility}, as \`bwoc skills list\` says`);
}
const stats = cli(WS, 'skills', 'stats');
for (const s of stats.skills) {
  const calls = await page.textContent(`#calls-skills tr[data-key="${s.side}:${s.skill}"] td.calls`);
  await check(calls === String(s.calls), `skills: ${s.side} ${s.skill} has ${s.calls} calls, as \`bwoc skills stats\` says`);
}
await check(await page.locator('#chart-skills rect').count() === 3 * stats.skills.length, 'skills: the latency chart has a bar per percentile');
await check(await page.locator('#chart-peers rect').count() === 3 * stats.peers.length, 'skills: and one per peer');

// The API answers in the CLI's own --json shapes, byte for byte once parsed.
const api = async (path) => page.evaluate(async (p) => (await fetch(p)).json(), path);
await check(same(await api('/api/trust'), cli(WS, 'trust', 'list')), 'api: /api/trust is `bwoc trust list --json`');
await check(same(await api('/api/goals'), cli(WS, 'goal', 'list')), 'api: /api/goals is `bwoc goal list --json`');
await check(same((await api('/api/inbox?agent=agent-a&limit=0')).entries, inboxCli), 'api: /api/inbox is `bwoc inbox list --json`');
await check(same((await api('/api/inbox?agent=agent-a')).verification, verify), 'api: and its verification `bwoc inbox verify --json`');
await check(same(await api('/api/refusals?limit=0'), refusalsCli), 'api: /api/refusals is `bwoc inbox refusals --json`');
const skillsApi = await api('/api/skills');
await check(same(skillsApi.skills, cli(WS, 'skills', 'list')), 'api: /api/skills lists `bwoc skills list --json`');
await check(same(skillsApi.stats, cli(WS, 'skills', 'stats')), 'api: and `bwoc skills stats --json`');
const statusApi = await api('/api/status');
const statusCli = cli(WS, 'status');
for (const field of ['workspace', 'fingerprint', 'agents', 'peers', 'goals', 'skills', 'refusals_24h', 'calls']) {
  await check(same(statusApi[field], statusCli[field]), `api: /api/status's ${field} is \`bwoc status --json\`'s`);
}

// --- changes made in the page go through the same calls ---------------------
await visit(page, '/peers', 'peers');
await page.waitForFunction(() => document.getElementById('peers-holder').dataset.probed === 'yes', null, { timeout: 20000 });
await page.selectOption('tr[data-peer="beta"] select.tier-choice', '2');
await page.click('tr[data-peer="beta"] button.set-tier');
await check(await page.isVisible('#confirm'), 'peers: a change asks for confirmation first');
await check(cli(WS, 'trust', 'list').find((p) => p.peer === 'beta').tier === 1, 'peers: nothing changed before it is confirmed');
await page.screenshot({ path: `${ARTEFACTS}/peers-confirm.png`, fullPage: true });
await page.click('#confirm-yes');
await page.waitForSelector('tr[data-peer="beta"] td.tier[data-tier="2"]', { timeout: 20000 });
await check(cli(WS, 'trust', 'list').find((p) => p.peer === 'beta').tier === 2, 'peers: tier 2 set in the page, and `bwoc trust list` agrees');
await page.screenshot({ path: `${ARTEFACTS}/peers-changed.png`, fullPage: true });

await visit(page, '/goals', 'goals');
await page.fill('#start-goal input[name=objective]', 'Review the incident together');
await page.selectOption('#start-goal select[name=grant]', '1');
await page.fill('#start-goal input[name=expires]', '7d');
await page.click('#start-goal button[type=submit]');
await page.click('#confirm-yes');
await page.waitForFunction(() => document.querySelectorAll('section.goal').length === 2, null, { timeout: 20000 });
let goals = cli(WS, 'goal', 'list');
const started = goals.find((g) => g.objective === 'Review the incident together');
await check(started && started.state === 'active' && started.expires, 'goals: a goal started in the page is in `bwoc goal list`');
const card = `section.goal[data-goal="${started.id}"]`;
await page.fill(`${card} form.add-kr input`, 'Both sides read the draft');
await page.click(`${card} form.add-kr button[type=submit]`);
await page.waitForSelector(`${card} input[data-kr="1"]`, { timeout: 20000 });
await page.check(`${card} input[data-kr="1"]`);
await page.waitForSelector(`${card} li.done`, { timeout: 20000 });
goals = cli(WS, 'goal', 'list');
const ticked = goals.find((g) => g.id === started.id);
await check(ticked.key_results.length === 1 && ticked.key_results[0].done, 'goals: a key result added and ticked in the page, as the CLI says');
await page.click(`${card} button.end-goal`);
await page.click('#confirm-yes');
await page.waitForSelector(`section.goal[data-goal="${started.id}"][data-state="done"]`, { timeout: 20000 });
await check(cli(WS, 'goal', 'list').find((g) => g.id === started.id).state === 'done', 'goals: ended in the page, done for the CLI');
await page.screenshot({ path: `${ARTEFACTS}/goals-changed.png`, fullPage: true });

await visit(page, '/skills', 'skills');
await page.click('tr[data-skill="agent-a/word-count"] button.hide');
await page.click('#confirm-yes');
await page.waitForSelector('tr[data-skill="agent-a/word-count"] button.expose', { timeout: 20000 });
await check(cli(WS, 'skills', 'list').find((s) => s.name === 'word-count').visibility === 'hidden', 'skills: hidden in the page, hidden for the CLI');
await page.click('tr[data-skill="agent-a/word-count"] button.expose');
await page.click('#confirm-yes');
await page.waitForSelector('tr[data-skill="agent-a/word-count"] button.hide', { timeout: 20000 });
await check(cli(WS, 'skills', 'list').find((s) => s.name === 'word-count').visibility === 'exposed', 'skills: exposed again');

// --- the activity page follows new envelopes live (server-sent events) -----
await visit(page, '/activity', 'activity');
await page.waitForFunction(() => document.getElementById('live').classList.contains('on'), null, { timeout: 20000 });
const sent = bwoc('-w', PEER_WS, 'send', 'alpha/agent-a', '--from', 'agent-b', '--payload', '{"text":"live"}');
const id = sent.split(' ')[1];
await page.waitForSelector(`#activity tr[data-id="${id}"][data-direction="in"]`, { timeout: 20000 });
await check(true, 'activity: an envelope that arrives shows without reloading the page');
await page.screenshot({ path: `${ARTEFACTS}/activity-live.png`, fullPage: true });

// --- another site cannot change anything -------------------------------------
// An attacker's page on another origin of this machine: the same site for
// cookies (127.0.0.1), so the cookie does go along; what stops it is the
// token header, the JSON body and the refused preflight.
const attacker = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html' });
  res.end(`<!doctype html><form id=f method=POST action="${base}/api/trust/set" enctype="text/plain">
<input name='{"peer":"beta","tier":3,"x":"' value='"}'></form><script>
window.results = {};
fetch('${base}/api/trust/set', {method: 'POST', mode: 'no-cors', credentials: 'include', body: '{"peer":"beta","tier":3}'})
  .then(() => { window.results.simple = 'sent'; }, () => { window.results.simple = 'blocked'; });
fetch('${base}/api/trust/set', {method: 'POST', credentials: 'include', headers: {'Content-Type': 'application/json', 'X-Bwoc-Token': 'guess'}, body: '{"peer":"beta","tier":3}'})
  .then(() => { window.results.preflighted = 'sent'; }, () => { window.results.preflighted = 'blocked'; });
fetch('${base}/api/status', {credentials: 'include'}).then((r) => r.text())
  .then(() => { window.results.read = 'read'; }, () => { window.results.read = 'blocked'; });
</script>`);
});
await new Promise((resolve) => attacker.listen(0, '127.0.0.1', resolve));
const evilPage = await context.newPage();
current = evilPage;
await evilPage.goto(`http://127.0.0.1:${attacker.address().port}/`);
await evilPage.waitForFunction(() => Object.keys(window.results).length === 3, null, { timeout: 20000 });
const results = await evilPage.evaluate(() => window.results);
await check(results.preflighted === 'blocked', 'cross-origin: a POST with the token header is stopped at its preflight');
await check(results.read === 'blocked', 'cross-origin: another origin cannot read the API (no CORS headers)');
const formResponse = evilPage.waitForNavigation({ timeout: 20000 }).catch(() => null);
await evilPage.evaluate(() => document.getElementById('f').submit());
const formAnswer = await formResponse;
await check(!formAnswer || formAnswer.status() === 403, 'cross-origin: a form POST is refused (403)');
await evilPage.screenshot({ path: `${ARTEFACTS}/cross-origin-post.png` });
await check(cli(WS, 'trust', 'list').find((p) => p.peer === 'beta').tier === 2, 'cross-origin: beta is still tier 2 for `bwoc trust list`');
attacker.close();
current = page;

// --- no URL leaves the page set ----------------------------------------------
for (const target of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/%2e%2e/%2e%2e/etc/passwd',
  '/assets/..%2f..%2fetc%2fpasswd', '/assets/app.js/..', '/%2fetc%2fpasswd', '/ASSETS/app.js']) {
  const r = await page.request.get(base + target, { failOnStatusCode: false });
  const body = await r.text();
  await check([400, 404].includes(r.status()) && !body.includes('root:'), `${target} leads nowhere (${r.status()})`);
}

// --- removing a peer, confirmed in the page ----------------------------------
await visit(page, '/peers', 'peers');
await page.click('tr[data-peer="beta"] button.remove');
await check(await page.isVisible('#confirm'), 'peers: removing asks for confirmation first');
await page.click('#confirm-no');
await check(cli(WS, 'trust', 'list').length === 1, 'peers: cancelled, beta is still declared');
await page.click('tr[data-peer="beta"] button.remove');
await page.click('#confirm-yes');
await page.waitForSelector('#peers-empty', { timeout: 20000 });
await check(cli(WS, 'trust', 'list').length === 0, 'peers: removed in the page, gone for `bwoc trust list`');
await page.screenshot({ path: `${ARTEFACTS}/peers-removed.png`, fullPage: true });

for (const b of browsers) await b.close();
console.log(`ok: ${checks} checks; screenshots in ${ARTEFACTS}`);
