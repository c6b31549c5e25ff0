// The bwoc dashboard's pages. Every page is drawn from the JSON API (the same
// shapes as the CLI's --json), with DOM nodes and text only: nothing a peer
// wrote is ever parsed as HTML. Changes are POSTs carrying this run's token.
'use strict';

const token = document.querySelector('meta[name="bwoc-token"]').content;
const main = document.getElementById('main');

// --- small helpers -----------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'on') {
      for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    } else if (name === 'text') {
      node.textContent = value;
    } else {
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
  for (const child of children.flat()) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function getJSON(path) {
  const response = await fetch(path, { credentials: 'same-origin' });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `${path}: HTTP ${response.status}`);
  return body;
}

async function post(path, data) {
  const response = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-Bwoc-Token': token },
    body: JSON.stringify(data),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

function notice(message, isError) {
  const box = document.getElementById('notice');
  box.textContent = message;
  box.className = isError ? 'error' : '';
  box.hidden = false;
}

// Asks before a change; `action` runs on Confirm.
function confirmThen(message, action) {
  const bar = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = message;
  bar.hidden = false;
  const yes = document.getElementById('confirm-yes');
  const no = document.getElementById('confirm-no');
  const close = () => {
    bar.hidden = true;
    yes.onclick = null;
    no.onclick = null;
  };
  yes.onclick = async () => {
    close();
    try {
      await action();
    } catch (error) {
      notice(error.message, true);
    }
  };
  no.onclick = close;
  yes.focus();
}

function table(id, headers, rows, empty) {
  if (rows.length === 0) return el('p', { class: 'muted', id: id + '-empty' }, empty);
  return el('table', { id },
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows));
}

function tag(text, kind) {
  return el('span', { class: 'tag ' + (kind || text).replace(/[^a-z_-]/gi, '-') }, text);
}

function age(timestamp) {
  if (!timestamp) return 'never';
  const seconds = Math.round((Date.now() - Date.parse(timestamp)) / 1000);
  if (seconds < 0) return timestamp;
  if (seconds < 60) return seconds + 's ago';
  if (seconds < 3600) return Math.floor(seconds / 60) + 'm ago';
  if (seconds < 86400) return Math.floor(seconds / 3600) + 'h ago';
  return Math.floor(seconds / 86400) + 'd ago';
}

function when(timestamp) {
  return el('span', { title: timestamp || '' }, age(timestamp));
}

const tierNames = ['UNTRUSTED', 'KNOWN', 'INTERNAL', 'PRIVILEGED'];
const tierText = (tier) => `${tier} ${tierNames[tier] || '?'}`;

function summary(value, width) {
  const text = JSON.stringify(value);
  return text.length <= width ? text : text.slice(0, width - 1) + '\u2026';
}

function heading(text, ...extra) {
  return el('h1', {}, text, extra);
}

// --- pages -------------------------------------------------------------------

function eventRows(events) {
  return events.map((e) =>
    el('tr', { 'data-id': e.id, 'data-direction': e.direction },
      el('td', {}, when(e.at)),
      el('td', {}, tag(e.direction)),
      el('td', {}, e.via),
      el('td', { class: 'peer' }, e.peer || '(undeclared)'),
      el('td', {}, e.direction === 'out' ? e.agent + ' \u2192 ' + e.remote_agent : e.remote_agent + ' \u2192 ' + e.agent),
      el('td', {}, e.kind),
      el('td', { class: 'mono' }, (e.id || '').slice(0, 12)),
      el('td', {}, tag(e.receipt, e.direction === 'out' ? 'pending' : e.direction === 'in' ? 'accepted' : 'refused'))));
}

const eventHeaders = ['When', 'Dir', 'Via', 'Peer', 'Agents', 'Kind', 'Id', 'Receipt'];

async function overview() {
  const s = await getJSON('/api/status');
  const running = s.services.filter((x) => x.running).length;
  const envelopes = s.envelopes.in.concat(s.envelopes.out).sort((a, b) => (a.at < b.at ? 1 : -1));
  return [
    heading('Workspace ', el('code', { id: 'name' }, s.workspace)),
    el('section', { class: 'card' },
      el('div', {}, 'Public key ', el('code', { id: 'public-key' }, s.public_key || 'none yet: bwoc trust --keygen')),
      el('div', {}, 'Fingerprint ', el('code', { id: 'fingerprint' }, s.fingerprint || '-')),
      el('div', {}, 'Agents ', el('span', { id: 'agents' }, s.agents.join(', ') || 'none')),
      el('div', { class: 'muted' }, s.root)),
    s.problems.length ? el('section', { class: 'card', id: 'problems' }, s.problems.map((p) => el('div', {}, tag('problem'), ' ', p))) : null,
    el('div', { class: 'stats' },
      el('div', { class: 'stat' }, el('b', { id: 'count-services' }, running), 'services running'),
      el('div', { class: 'stat' }, el('b', { id: 'count-peers' }, s.peers.length), 'peers'),
      el('div', { class: 'stat' }, el('b', { id: 'count-goals' }, s.goals.length), 'active goals'),
      el('div', { class: 'stat' }, el('b', { id: 'count-refusals' }, (s.refusals_24h.partial ? '\u2265' : '') + s.refusals_24h.total), 'refusals in 24 h'),
      el('div', { class: 'stat' }, el('b', { id: 'count-skills' }, s.skills.length), 'skills')),
    el('h2', {}, 'Services'),
    table('services', ['Kind', 'Agent', 'State', 'Since', 'Endpoint', 'Last error'], s.services.map((x) =>
      el('tr', { 'data-kind': x.kind },
        el('td', {}, x.kind),
        el('td', {}, x.agent === '*' ? 'all' : x.agent),
        el('td', {}, tag(x.running ? x.state : x.liveness, x.running ? 'running' : 'gone')),
        el('td', {}, when(x.running ? x.started : x.updated)),
        el('td', { class: 'mono' }, x.endpoint || '-'),
        el('td', { class: 'mono' }, x.last_error || '-'))),
      'None running: bwoc a2a serve, bwoc mqtt subscribe and bwoc inbox ingest --watch serve peers.'),
    el('h2', {}, 'Newest envelopes in and out'),
    table('envelopes', eventHeaders, eventRows(envelopes), 'None yet.'),
    el('h2', {}, 'Refusals in the last 24 hours'),
    table('refusal-reasons', ['Reason', 'Count'], Object.entries(s.refusals_24h.by_reason).map(([reason, n]) =>
      el('tr', { 'data-reason': reason }, el('td', {}, reason), el('td', { class: 'num' }, n))), 'None.'),
  ];
}

async function activity() {
  const live = el('span', { class: 'live off', id: 'live' }, 'connecting');
  const holder = el('div', { id: 'activity-holder' });
  const draw = (events) => holder.replaceChildren(
    table('activity', eventHeaders, eventRows(events), 'Nothing yet: envelopes in, out and refused appear here as they happen.'));
  draw((await getJSON('/api/activity')).events);
  const source = new EventSource('/api/events');
  // Each answer of the feed ends its response, and the browser reconnects
  // at once: only a closed source is a lost feed.
  source.addEventListener('activity', (message) => {
    draw(JSON.parse(message.data).events);
    live.className = 'live on';
    live.textContent = 'live, updated ' + new Date().toLocaleTimeString();
  });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      live.className = 'live off';
      live.textContent = 'disconnected: reload the page';
    }
  };
  window.addEventListener('pagehide', () => source.close());
  return [heading('Activity ', live), holder];
}

function peerRows(s, reload) {
  return s.peers.map((p) => {
    const choice = el('select', { 'aria-label': 'tier of ' + p.key, class: 'tier-choice' },
      tierNames.map((name, tier) => el('option', { value: tier, selected: tier === p.tier }, tierText(tier))));
    const reach = p.reachability ? tag(p.reachability) : el('span', { class: 'muted' }, 'probing\u2026');
    return el('tr', { 'data-peer': p.key },
      el('td', { class: 'key' }, p.key),
      el('td', {}, p.name || '-'),
      el('td', {}, p.transports.join(', ') || '-'),
      el('td', { class: 'reach', title: p.detail || '' }, reach),
      el('td', { class: 'tier', 'data-tier': p.tier }, tierText(p.tier), p.tier !== p.declared ? el('span', { class: 'muted' }, ` (declared ${p.declared})`) : null),
      el('td', { class: 'num' }, `${p.consecutive_failures} in a row, ${p.total_failures} in all`),
      el('td', { class: 'seen' }, when(p.last_seen)),
      el('td', {},
        el('form', { class: 'inline', on: { submit: (event) => {
          event.preventDefault();
          const tier = Number(choice.value);
          confirmThen(`Set peer ${p.key} to tier ${tierText(tier)}?`, async () => {
            const changed = await post('/api/trust/set', { peer: p.key, tier });
            notice(`Peer ${changed.peer} is now tier ${tierText(changed.tier)}.`);
            await reload();
          });
        } } }, choice, el('button', { type: 'submit', class: 'set-tier' }, 'Set tier')),
        ' ',
        el('button', { type: 'button', class: 'danger remove', on: { click: () =>
          confirmThen(`Remove peer ${p.key}? Its envelopes are refused from then on.`, async () => {
            await post('/api/peer/remove', { peer: p.key });
            notice(`Removed peer ${p.key}.`);
            await reload();
          }) } }, 'Remove')));
  });
}

async function peers() {
  const holder = el('div', { id: 'peers-holder' });
  const draw = (s) => holder.replaceChildren(table('peers',
    ['Peer', 'Name', 'Via', 'Reachability', 'Tier', 'Failed calls', 'Last seen', 'Change'], peerRows(s, load),
    'No peers declared: bwoc invite prints this workspace\'s code, bwoc peer add CODE declares a peer.'));
  async function load() {
    draw(await getJSON('/api/status'));
    draw(await getJSON('/api/status?probe=1'));
    holder.dataset.probed = 'yes';
  }
  await load();
  return [heading('Peers'), holder];
}

async function goals() {
  const [list, s] = await Promise.all([getJSON('/api/goals'), getJSON('/api/status')]);
  const reload = () => show('/goals');
  const act = (message, path, data) => async () => {
    await post(path, data);
    notice(message);
    await reload();
  };
  const cards = list.slice().reverse().map((g) => {
    const krText = el('input', { type: 'text', placeholder: 'a key result', 'aria-label': 'new key result of ' + g.id, required: true });
    return el('section', { class: 'card goal', 'data-goal': g.id, 'data-state': g.state },
      el('h3', {}, `${g.id} \u00b7 ${g.peer} \u00b7 `, tag(g.state, g.state === 'active' ? 'running' : 'ended')),
      el('div', {}, g.objective),
      el('div', { class: 'muted' }, `grants ${tierText(g.grant)}, was ${tierText(g.before)}; started ${g.started}` + (g.expires ? `, expires ${g.expires}` : '')),
      el('ol', {}, (g.key_results || []).map((kr, i) => el('li', { class: kr.done ? 'done' : '' },
        el('label', {},
          el('input', { type: 'checkbox', checked: kr.done, disabled: kr.done || g.state !== 'active', 'data-kr': i + 1,
            on: { change: () => act(`Ticked key result ${i + 1} of ${g.id}.`, '/api/goal/kr/done', { id: g.id, number: i + 1 })().catch((e) => notice(e.message, true)) } }),
          ' ', kr.text)))),
      g.state === 'active' ? el('form', { class: 'inline add-kr', on: { submit: (event) => {
        event.preventDefault();
        act(`Added a key result to ${g.id}.`, '/api/goal/kr/add', { id: g.id, text: krText.value })().catch((e) => notice(e.message, true));
      } } }, krText, el('button', { type: 'submit' }, 'Add key result'),
      el('button', { type: 'button', class: 'danger end-goal', on: { click: () =>
        confirmThen(`End goal ${g.id}? ${g.peer} steps down one tier.`, act(`Goal ${g.id} is done.`, '/api/goal/done', { id: g.id })) } }, 'End goal')) : null);
  });
  const peerChoice = el('select', { name: 'peer', 'aria-label': 'peer' }, s.peers.map((p) => el('option', { value: p.key }, p.key)));
  const objective = el('input', { type: 'text', name: 'objective', placeholder: 'objective', required: true, 'aria-label': 'objective' });
  const grant = el('select', { name: 'grant', 'aria-label': 'grant' }, [1, 2].map((t) => el('option', { value: t }, tierText(t))));
  const expires = el('input', { type: 'text', name: 'expires', placeholder: 'expires, such as 7d', 'aria-label': 'expires' });
  const start = el('form', { class: 'inline', id: 'start-goal', on: { submit: (event) => {
    event.preventDefault();
    confirmThen(`Raise ${peerChoice.value} to ${tierText(Number(grant.value))} for "${objective.value}"?`,
      act('Goal started.', '/api/goal/start', { peer: peerChoice.value, objective: objective.value, grant: Number(grant.value), expires: expires.value }));
  } } }, peerChoice, objective, grant, expires, el('button', { type: 'submit' }, 'Start goal'));
  return [heading('Goals'),
    el('section', { class: 'card' }, el('h2', {}, 'Start a goal'), s.peers.length ? start : el('p', { class: 'muted' }, 'Declare a peer first.')),
    cards.length ? cards : el('p', { class: 'muted', id: 'goals-empty' }, 'No goals yet.')];
}

// Latency percentiles per row, as horizontal bars drawn from the data.
function latencyChart(id, rows, label) {
  if (rows.length === 0) return null;
  const most = Math.max(1, ...rows.map((r) => r.p99_ms));
  const left = 170, width = 640, bar = 7, gap = 8, per = 3 * bar + gap;
  const height = rows.length * per + 24;
  const chart = svg('svg', { class: 'chart', id, viewBox: `0 0 ${left + width + 70} ${height}`, role: 'img', 'aria-label': 'latency by ' + label });
  rows.forEach((r, i) => {
    const y = i * per + 4;
    chart.append(svg('text', { x: 0, y: y + bar * 2 }, `${r.side} ${r[label]}`));
    ['p50', 'p95', 'p99'].forEach((p, k) => {
      const w = Math.max(1, (r[p + '_ms'] / most) * width);
      chart.append(svg('rect', { class: p, x: left, y: y + k * bar, width: w.toFixed(1), height: bar - 1, 'data-ms': r[p + '_ms'] },
        svg('title', {}, `${p} ${r[p + '_ms']} ms`)));
    });
    chart.append(svg('text', { x: left + (r.p99_ms / most) * width + 6, y: y + bar * 2 }, `${r.p99_ms} ms`));
  });
  chart.append(svg('line', { class: 'axis', x1: left, x2: left, y1: 0, y2: height - 20 }));
  chart.append(svg('text', { x: left, y: height - 6 }, '0'));
  chart.append(svg('text', { x: left + width - 40, y: height - 6 }, `${most} ms`));
  return chart;
}

function callTable(id, rows, label) {
  return table(id, ['Side', label, 'Calls', 'Errors', 'Error rate', 'p50 ms', 'p95 ms', 'p99 ms'], rows.map((r) =>
    el('tr', { 'data-key': `${r.side}:${r[label.toLowerCase()]}` },
      el('td', {}, r.side), el('td', {}, r[label.toLowerCase()]),
      el('td', { class: 'num calls' }, r.calls), el('td', { class: 'num errors' }, r.errors),
      el('td', { class: 'num' }, (r.error_rate * 100).toFixed(1) + '%'),
      el('td', { class: 'num' }, r.p50_ms), el('td', { class: 'num' }, r.p95_ms), el('td', { class: 'num' }, r.p99_ms))),
  'No calls recorded yet.');
}

async function skills() {
  const data = await getJSON('/api/skills');
  const rows = data.skills.map((s) => el('tr', { 'data-skill': `${s.agent}/${s.name}` },
    el('td', {}, s.agent), el('td', {}, s.name), el('td', {}, s.version),
    el('td', { class: 'visibility' }, tag(s.visibility)), el('td', { class: 'num' }, s.min_tier),
    el('td', {}, s.description),
    el('td', {}, el('button', { type: 'button', class: s.visibility === 'exposed' ? 'danger hide' : 'expose', on: { click: () => {
      const hide = s.visibility === 'exposed';
      confirmThen(hide ? `Hide ${s.name}? Callers get "Unknown skill", as for a skill that does not exist.`
                       : `Expose ${s.name} to peers of tier ${s.min_tier} or more?`, async () => {
        await post(hide ? '/api/skills/hide' : '/api/skills/expose', { agent: s.agent, name: s.name });
        notice(`Skill ${s.name} is now ${hide ? 'hidden' : 'exposed'}.`);
        await show('/skills');
      });
    } } }, s.visibility === 'exposed' ? 'Hide' : 'Expose'))));
  const legend = el('div', { class: 'legend' }, ['p50', 'p95', 'p99'].map((p) => el('span', {}, el('i', { class: p }), p)));
  return [heading('Skills'),
    table('skills', ['Agent', 'Skill', 'Version', 'Visibility', 'Min tier', 'Description', ''], rows,
      'No skills declared: see docs/SKILLS.md.'),
    el('h2', {}, 'Calls by skill'), legend, latencyChart('chart-skills', data.stats.skills, 'skill'),
    callTable('calls-skills', data.stats.skills, 'Skill'),
    el('h2', {}, 'Calls by peer'), latencyChart('chart-peers', data.stats.peers, 'peer'),
    callTable('calls-peers', data.stats.peers, 'Peer')];
}

async function inbox() {
  const s = await getJSON('/api/status');
  const wanted = new URLSearchParams(location.search).get('agent');
  const agent = s.agents.includes(wanted) ? wanted : s.agents[0];
  const choice = el('select', { id: 'agent', 'aria-label': 'agent', on: { change: () => {
    history.replaceState(null, '', '/inbox?agent=' + encodeURIComponent(choice.value));
    show('/inbox');
  } } }, s.agents.map((a) => el('option', { value: a, selected: a === agent }, a)));
  if (!agent) return [heading('Inbox'), el('p', { class: 'muted' }, 'This workspace has no agent yet: bwoc agent add NAME.')];
  const data = await getJSON('/api/inbox?agent=' + encodeURIComponent(agent) + '&limit=200');
  const v = data.verification;
  const problems = new Map(v.problems.map((p) => [p.line, p.problem]));
  const rows = data.entries.slice().reverse().map((e) => el('tr', { 'data-id': e.id, 'data-line': e.line },
    el('td', { class: 'num' }, e.line), el('td', {}, when(e.received)), el('td', {}, e.via),
    el('td', {}, (e.peer || '(undeclared)') + '/' + e.from), el('td', {}, e.kind),
    el('td', { class: 'mono' }, e.id.slice(0, 12)),
    el('td', { class: 'verified' }, problems.has(e.line) ? tag(problems.get(e.line), 'problem') : tag('verified', 'ok')),
    el('td', { class: 'mono payload' }, summary(e.payload, 120))));
  return [heading('Inbox of ', choice),
    el('p', { id: 'verification', class: v.problems.length ? 'problem' : '' },
      `${v.lines} lines, ${v.verified} verified again just now (signature, audience, recipient)` +
      (v.unpinned ? `, ${v.unpinned} from senders no longer declared` : '') + `, ${v.problems.length} problems.`),
    v.problems.filter((p) => !data.entries.some((e) => e.line === p.line)).map((p) => el('div', {}, tag('problem'), ` line ${p.line}: ${p.problem}`)),
    table('inbox', ['#', 'Received', 'Via', 'From', 'Kind', 'Id', 'Check', 'Payload'], rows, 'No envelopes yet.'),
    data.total > data.entries.length ? el('p', { class: 'muted' }, `The newest ${data.entries.length} of ${data.total}.`) : null];
}

async function refusals() {
  const list = await getJSON('/api/refusals?limit=200');
  const rows = list.slice().reverse().map((r) => el('tr', { 'data-reason': r.reason, 'data-id': r.id || '' },
    el('td', {}, when(r.at)), el('td', {}, r.via), el('td', { class: 'reason' }, tag(r.reason, 'refused')),
    el('td', {}, r.peer || (r.key ? r.key.slice(0, 20) + '\u2026' : '-')),
    el('td', { class: 'mono' }, (r.id || '-').slice(0, 12)), el('td', {}, r.detail)));
  return [heading('Refusals'),
    el('p', { class: 'muted' }, 'What the receivers refused, and why. The sender was told nothing.'),
    table('refusals', ['At', 'Via', 'Reason', 'Sender', 'Id', 'Detail'], rows, 'Nothing refused.')];
}

const pages = { '/': overview, '/activity': activity, '/peers': peers, '/goals': goals, '/skills': skills, '/inbox': inbox, '/refusals': refusals };

async function show(path) {
  const page = pages[path] || overview;
  for (const link of document.querySelectorAll('nav a')) {
    link.classList.toggle('current', link.dataset.page === path);
  }
  try {
    const content = await page();
    main.replaceChildren(...[content].flat(Infinity).filter(Boolean));
    main.dataset.page = path;
    main.dataset.ready = String(Date.now());
  } catch (error) {
    main.replaceChildren(el('p', { class: 'problem', id: 'error' }, 'Could not load this page: ' + error.message));
    main.dataset.ready = 'error';
  }
}

getJSON('/api/status').then((s) => {
  document.getElementById('workspace').textContent = s.workspace;
  document.title = s.workspace + ' \u00b7 bwoc dashboard';
}).catch(() => {});
show(location.pathname);
