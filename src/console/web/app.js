/* The console's single-page front end: plain DOM, no framework, no request leaves the console's origin. */
/* global document, window, fetch, sessionStorage, URL, URLSearchParams, Blob, TextDecoder, setTimeout, clearTimeout, atob */
'use strict';

const state = { token: sessionStorage.getItem('mq-console-token') || '', role: '', timer: undefined, page: '', lagHistory: {} };
const $ = (sel) => document.querySelector(sel);

/** h('tag.class#id', { attr }, ...children): builds DOM without innerHTML (data is never parsed as markup). */
function h(spec, attrs, ...children) {
  const m = /^([a-z0-9]+)((?:[.#][\w-]+)*)$/.exec(spec);
  const el = document.createElement(m[1]);
  for (const part of m[2].match(/[.#][\w-]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof window.Node ? c : String(c));
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = String(text);
  return el;
}

function status(msg, info) {
  const el = $('#status');
  el.textContent = msg || '';
  el.classList.toggle('hidden', !msg);
  el.classList.toggle('info', !!info);
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: Object.assign({ authorization: 'Bearer ' + state.token }, body ? { 'content-type': 'application/json' } : {}),
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (res.status === 401 && state.role) signOut('sign in again: ' + ((data && data.error) || 'unauthorized'));
  if (!res.ok) throw new Error((data && data.error) || res.status + ' ' + res.statusText);
  return data;
}

/** Runs an action and reports its error in the status bar. */
async function act(fn, done) {
  try {
    const r = await fn();
    if (done) status(done, true);
    return r;
  } catch (err) {
    status(err.message);
    return undefined;
  }
}

async function download(path, name) {
  const res = await fetch(path, { headers: { authorization: 'Bearer ' + state.token } });
  if (!res.ok) return status('download failed: ' + res.status);
  const url = URL.createObjectURL(new Blob([await res.text()], { type: res.headers.get('content-type') || 'application/octet-stream' }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
  return undefined;
}

const fmt = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : n === undefined || n === null ? '' : String(n));
const time = (ms) => (ms ? new Date(ms).toLocaleString('sv-SE') : '');
const age = (s) => (s >= 3600 ? Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm' : s >= 60 ? Math.floor(s / 60) + 'm ' + (s % 60) + 's' : s + 's');
const pct = (r) => (typeof r === 'number' ? (r * 100).toFixed(1) + '%' : '');
const permText = (p) => ((p & 4 ? 'R' : '-') + (p & 2 ? 'W' : '-'));
const isAdmin = () => state.role === 'admin';

function table(cols, rows, opts) {
  const o = opts || {};
  return h(
    'table',
    { id: o.id },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { class: c.num ? 'num' : undefined }, c.label)))),
    h(
      'tbody',
      {},
      rows.length === 0 ? h('tr', {}, h('td', { colspan: cols.length, class: 'muted' }, o.empty || 'nothing')) : null,
      rows.map((r) =>
        h(
          'tr',
          { class: o.onclick ? 'click' : undefined, onclick: o.onclick ? () => o.onclick(r) : undefined, 'data-key': o.key ? o.key(r) : undefined },
          cols.map((c) => {
            const v = c.get(r);
            return h('td', { class: c.num ? 'num' : c.cls ? c.cls(r) : undefined, 'data-col': c.key }, v instanceof window.Node ? v : c.num ? fmt(v) : v);
          }),
        ),
      ),
    ),
  );
}

/** A bar chart (inline SVG) of {t, count} points with time labels and a max gridline. */
function barChart(points, labelOf, id) {
  const W = 720, H = 180, L = 48, B = 22, T = 10;
  const max = Math.max(1, ...points.map((p) => p.count));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', id: id || '' });
  const bw = (W - L - 4) / Math.max(1, points.length);
  svg.append(s('line', { x1: L, x2: W, y1: T, y2: T, class: 'grid-line' }), s('text', { x: L - 4, y: T + 4, 'text-anchor': 'end' }, fmt(max)));
  svg.append(s('line', { x1: L, x2: W, y1: H - B, y2: H - B, class: 'grid-line' }), s('text', { x: L - 4, y: H - B + 4, 'text-anchor': 'end' }, '0'));
  points.forEach((p, i) => {
    const bh = ((H - B - T) * p.count) / max;
    const x = L + i * bw + 1;
    const bar = s('rect', { x, y: H - B - bh, width: Math.max(1, bw - 2), height: bh, class: 'bar', 'data-count': p.count });
    bar.append(s('title', {}, labelOf(p.t) + ': ' + fmt(p.count)));
    svg.append(bar);
    if (i % Math.ceil(points.length / 8) === 0) svg.append(s('text', { x: x + bw / 2, y: H - 6, 'text-anchor': 'middle' }, labelOf(p.t)));
  });
  return svg;
}

/** A line chart of [time, value] samples (the group page's lag history). */
function lineChart(samples, id) {
  const W = 720, H = 140, L = 48, B = 20, T = 10;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', id });
  const max = Math.max(1, ...samples.map((x) => x[1]));
  const t0 = samples.length ? samples[0][0] : 0;
  const t1 = samples.length ? Math.max(t0 + 1, samples[samples.length - 1][0]) : 1;
  const X = (t) => L + ((W - L - 4) * (t - t0)) / (t1 - t0);
  const Y = (v) => H - B - ((H - B - T) * v) / max;
  svg.append(s('line', { x1: L, x2: W, y1: T, y2: T, class: 'grid-line' }), s('text', { x: L - 4, y: T + 4, 'text-anchor': 'end' }, fmt(max)));
  svg.append(s('line', { x1: L, x2: W, y1: H - B, y2: H - B, class: 'grid-line' }), s('text', { x: L - 4, y: H - B + 4, 'text-anchor': 'end' }, '0'));
  if (samples.length) {
    svg.append(s('polyline', { points: samples.map((x) => X(x[0]).toFixed(1) + ',' + Y(x[1]).toFixed(1)).join(' '), class: 'line' }));
    svg.append(s('text', { x: L, y: H - 4 }, new Date(t0).toLocaleTimeString('sv-SE')), s('text', { x: W - 4, y: H - 4, 'text-anchor': 'end' }, new Date(t1).toLocaleTimeString('sv-SE')));
  }
  return svg;
}

// ---------------------------------------------------------------- pages

const pages = {};

pages.cluster = async (root) => {
  const [c, gw] = await Promise.all([api('GET', '/api/cluster'), api('GET', '/api/gateway').catch(() => null)]);
  const masters = c.brokers.filter((b) => b.brokerId === 0);
  root.append(
    h('div.grid', {},
      stat('Name servers up', c.nameServers.filter((n) => n.ok).length + ' / ' + c.nameServers.length),
      stat('Broker sets', new Set(c.brokers.map((b) => b.brokerName)).size),
      stat('Put TPS', fmt(masters.reduce((a, b) => a + (b.putTps || 0), 0))),
      stat('Get TPS', fmt(masters.reduce((a, b) => a + (b.getTps || 0), 0))),
      stat('Messages today', fmt(masters.reduce((a, b) => a + (b.msgPutToday || 0), 0))),
    ),
    h('div.card', {}, h('h3', {}, 'Name servers'),
      table([
        { label: 'Address', get: (n) => n.addr },
        { label: 'State', get: (n) => h('span', { class: n.ok ? 'ok' : 'bad' }, n.ok ? 'up' : 'down: ' + n.error) },
        { label: 'RTT ms', num: true, get: (n) => n.rttMs },
        { label: 'Broker sets known', num: true, get: (n) => n.brokers },
      ], c.nameServers)),
    h('div.card', {}, h('h3', {}, 'Brokers'),
      table([
        { label: 'Cluster', get: (b) => b.cluster },
        { label: 'Broker set', get: (b) => b.brokerName },
        { label: 'Id', num: true, get: (b) => b.brokerId },
        { label: 'Address', get: (b) => b.addr },
        { label: 'Role', key: 'role', get: (b) => (b.ok ? b.role : h('span.bad', {}, 'unreachable')) },
        { label: 'Version', get: (b) => b.version },
        { label: 'Perm', get: (b) => (b.ok ? permText(b.permission) : '') },
        { label: 'Disk', get: (b) => h('span', { class: b.commitLogDiskRatio > 0.85 ? 'bad' : '' }, pct(b.commitLogDiskRatio)) },
        { label: 'Put TPS', num: true, get: (b) => b.putTps },
        { label: 'Get TPS', num: true, get: (b) => b.getTps },
        { label: 'Put today', num: true, get: (b) => b.msgPutToday },
        { label: 'Repl. lag (bytes)', num: true, key: 'replication', get: (b) => (b.brokerId === 0 ? '' : b.replicationLagBytes) },
      ], c.brokers, { id: 'brokers' })),
  );
  if (gw && Array.isArray(gw.groups)) {
    const rows = gw.groups.flatMap((g) => g.queues);
    root.append(h('div.card', {}, h('h3', {}, 'Gateway consumer state (leases)'),
      table([
        { label: 'Group', get: (r) => r.group },
        { label: 'Topic', get: (r) => r.topic },
        { label: 'Queue', get: (r) => r.queueKey },
        { label: 'Committed', num: true, get: (r) => r.committed },
        { label: 'Cursor', num: true, get: (r) => r.cursor },
        { label: 'Leases in flight', num: true, get: (r) => r.inflight },
      ], rows, { id: 'leases', empty: 'no gateway group state' })));
  } else if (gw && gw.configured) {
    root.append(h('div.card', {}, h('h3', {}, 'Gateway'), h('pre', {}, JSON.stringify(gw, null, 2))));
  }
};

function stat(k, v) {
  return h('div.stat', {}, h('div.v', {}, v), h('div.k', {}, k));
}

pages.topics = async (root, arg) => {
  if (arg) return topicDetail(root, arg);
  const search = h('input#topic-search', { placeholder: 'search topics', value: state.topicSearch || '' });
  const showSys = h('input#topic-system', { type: 'checkbox', checked: state.topicSystem || undefined });
  const list = h('div');
  const load = async () => {
    state.topicSearch = search.value;
    state.topicSystem = showSys.checked;
    const topics = await api('GET', '/api/topics?search=' + encodeURIComponent(search.value));
    list.replaceChildren(table([
      { label: 'Topic', key: 'topic', get: (t) => t.topic },
      { label: 'Kind', get: (t) => t.kind },
    ], topics.filter((t) => showSys.checked || t.kind === 'normal' || t.kind === 'dlq'), { id: 'topic-table', key: (t) => t.topic, onclick: (t) => go('topics/' + encodeURIComponent(t.topic)) }));
  };
  search.addEventListener('input', () => void act(load));
  showSys.addEventListener('change', () => void act(load));
  const name = h('input#new-topic', { placeholder: 'topic name' });
  const queues = h('input#new-topic-queues', { type: 'number', min: 1, max: 1024, value: 4, style: 'width:80px' });
  const perm = h('select#new-topic-perm', {}, h('option', { value: 6 }, 'read + write'), h('option', { value: 4 }, 'read only'), h('option', { value: 2 }, 'write only'));
  const create = h('button#create-topic', { type: 'button', disabled: !isAdmin() || undefined, title: isAdmin() ? '' : 'needs the admin token' }, 'Create / update');
  create.addEventListener('click', () =>
    void act(async () => {
      await api('POST', '/api/topics', { topic: name.value.trim(), writeQueueNums: Number(queues.value), readQueueNums: Number(queues.value), perm: Number(perm.value) });
      status('topic ' + name.value.trim() + ' created', true);
      await load();
    }),
  );
  root.append(
    h('div.card', {}, h('h3', {}, 'Create or update a topic'), h('div.row', {}, name, h('label', {}, 'queues ', queues), perm, create)),
    h('div.card', {}, h('h3', {}, 'Topics'), h('div.row', {}, search, h('label', {}, showSys, ' show retry and system topics')), list),
  );
  await load();
  return undefined;
};

async function topicDetail(root, topic) {
  const d = await api('GET', '/api/topics/' + encodeURIComponent(topic));
  const chartBox = h('div#growth');
  const gran = state.granularity || 'minute';
  const buttons = ['minute', 'hour', 'day'].map((g) => h('button.plain', { type: 'button', class: g === gran ? 'plain on' : 'plain', 'data-granularity': g, onclick: () => { state.granularity = g; void render(); } }, g));
  const del = h('button.danger#delete-topic', { type: 'button', disabled: !isAdmin() || undefined }, 'Delete topic');
  del.addEventListener('click', () => {
    if (!window.confirm('Delete topic ' + topic + ' from every broker and name server?')) return;
    void act(async () => { await api('DELETE', '/api/topics/' + encodeURIComponent(topic)); go('topics'); }, 'topic ' + topic + ' deleted');
  });
  root.append(
    h('div.row', {}, h('a', { href: '#topics' }, '← topics'), h('h2', { style: 'margin:0' }, topic), del),
    h('div.grid', {}, stat('Messages today', h('span#messages-today', {}, fmt(d.messagesToday))), stat('Messages stored', fmt(d.totalMessages)), stat('Queues', d.queues.length)),
    h('div.card', {}, h('h3', {}, 'Growth'), h('div.row', {}, buttons), chartBox),
    h('div.card', {}, h('h3', {}, 'Route'),
      table([
        { label: 'Broker set', get: (q) => q.brokerName },
        { label: 'Read queues', num: true, get: (q) => q.readQueueNums },
        { label: 'Write queues', num: true, get: (q) => q.writeQueueNums },
        { label: 'Perm', get: (q) => permText(q.perm) },
      ], d.route.queueDatas || [])),
    h('div.card', {}, h('h3', {}, 'Queues'),
      table([
        { label: 'Broker set', get: (q) => q.brokerName },
        { label: 'Queue', num: true, get: (q) => q.queueId },
        { label: 'Min offset', num: true, get: (q) => q.minOffset },
        { label: 'Max offset', num: true, get: (q) => q.maxOffset },
        { label: 'Last stored', get: (q) => time(q.lastUpdateTimestamp) },
      ], d.queues, { id: 'queue-table' })),
  );
  const g = await api('GET', '/api/topics/' + encodeURIComponent(topic) + '/growth?granularity=' + gran);
  const label = (t) => (gran === 'day' ? new Date(t).toLocaleDateString('sv-SE').slice(5) : new Date(t).toLocaleTimeString('sv-SE').slice(0, 5));
  chartBox.replaceChildren(barChart(g.points, label, 'growth-chart'), h('div.muted', {}, 'messages per ' + gran + ', total ' + fmt(g.points.reduce((a, p) => a + p.count, 0))));
}

pages.groups = async (root, arg) => {
  if (arg) return groupDetail(root, arg);
  const groups = await api('GET', '/api/groups');
  root.append(h('div.card', {}, h('h3', {}, 'Consumer groups'),
    table([
      { label: 'Group', key: 'group', get: (g) => g.group },
      { label: 'Backlog', num: true, key: 'lag', get: (g) => g.lag },
      { label: 'Oldest unconsumed', get: (g) => (g.maxAgeSeconds ? age(g.maxAgeSeconds) : g.error ? h('span.bad', {}, g.error) : '') },
      { label: 'Consume TPS', num: true, get: (g) => g.consumeTps },
      { label: 'Queues', num: true, get: (g) => g.queues },
    ], groups, { id: 'group-table', key: (g) => g.group, onclick: (g) => go('groups/' + encodeURIComponent(g.group)) })));
  return undefined;
};

async function groupDetail(root, group) {
  const [d, gw] = await Promise.all([api('GET', '/api/groups/' + encodeURIComponent(group)), api('GET', '/api/gateway').catch(() => null)]);
  const rows = d.rows.filter((r) => !r.topic.startsWith('%RETRY%'));
  const total = rows.reduce((a, r) => a + r.lag, 0);
  const hist = (state.lagHistory[group] = (state.lagHistory[group] || []).concat([[Date.now(), total]]).slice(-150));
  const topics = [...new Set(rows.map((r) => r.topic))];
  const resetTopic = h('select#reset-topic', {}, topics.map((t) => h('option', { value: t }, t)));
  const resetTime = h('input#reset-time', { type: 'datetime-local', step: 1 });
  const reset = h('button#reset-offset', { type: 'button', disabled: !isAdmin() || undefined }, 'Reset offset to time');
  reset.addEventListener('click', () => void act(async () => {
    const ts = resetTime.value ? new Date(resetTime.value).getTime() : Date.now();
    const r = await api('POST', '/api/groups/' + encodeURIComponent(group) + '/reset', { topic: resetTopic.value, timestamp: ts });
    status('offsets of ' + group + ' on ' + r.topic + ' reset to ' + time(ts), true);
  }));
  const del = h('button.danger#delete-group', { type: 'button', disabled: !isAdmin() || undefined }, 'Delete group');
  del.addEventListener('click', () => {
    if (!window.confirm('Delete consumer group ' + group + ' (config and offsets) from every master?')) return;
    void act(async () => { await api('DELETE', '/api/groups/' + encodeURIComponent(group)); go('groups'); }, 'group ' + group + ' deleted');
  });
  const conns = (d.connection && d.connection.connectionSet) || [];
  const leases = gw && Array.isArray(gw.groups) ? (gw.groups.find((g) => g.group === group) || { queues: [] }).queues : [];
  root.append(
    h('div.row', {}, h('a', { href: '#groups' }, '← groups'), h('h2', { style: 'margin:0' }, group), del),
    h('div.grid', {},
      stat('Backlog', h('span#group-lag-total', { 'data-value': total }, fmt(total))),
      stat('Oldest unconsumed', h('span#group-age', {}, age(rows.reduce((a, r) => Math.max(a, r.ageSeconds), 0)))),
      stat('Consume TPS', fmt(d.consumeTps)),
      stat('Clients online', conns.length)),
    h('div.card', {}, h('h3', {}, 'Backlog (live)'), lineChart(hist, 'lag-chart')),
    h('div.card', {}, h('h3', {}, 'Lag per queue'),
      table([
        { label: 'Topic', get: (r) => r.topic },
        { label: 'Broker set', get: (r) => r.brokerName },
        { label: 'Queue', num: true, get: (r) => r.queueId },
        { label: 'Broker offset', num: true, get: (r) => r.brokerOffset },
        { label: 'Consumer offset', num: true, get: (r) => r.consumerOffset },
        { label: 'Lag', num: true, key: 'lag', get: (r) => r.lag },
        { label: 'Age', get: (r) => (r.lag > 0 ? age(r.ageSeconds) : '') },
        { label: 'Last consumed', get: (r) => time(r.lastTimestamp) },
      ], rows, { id: 'lag-table' })),
    h('div.card', {}, h('h3', {}, 'Reset offset by time'), h('div.row', {}, resetTopic, resetTime, reset)),
    h('div.card', {}, h('h3', {}, 'Consumers'),
      table([
        { label: 'Client id', get: (c) => c.clientId },
        { label: 'Address', get: (c) => c.clientAddr },
        { label: 'Language', get: (c) => c.language },
        { label: 'Version', get: (c) => c.version },
      ], conns, { empty: 'no client online (gateway consumers pull without a heartbeat)' }),
      h('h3', { style: 'margin-top:12px' }, 'Gateway leases'),
      table([
        { label: 'Topic', get: (r) => r.topic },
        { label: 'Queue', get: (r) => r.queueKey },
        { label: 'Committed', num: true, get: (r) => r.committed },
        { label: 'Cursor', num: true, get: (r) => r.cursor },
        { label: 'In flight', num: true, get: (r) => r.inflight },
      ], leases, { empty: 'no gateway state for this group' })),
  );
}

function bodyAs(b64, mode) {
  const bin = atob(b64);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  if (mode === 'hex') {
    const lines = [];
    for (let i = 0; i < bytes.length; i += 16) {
      const chunk = Array.from(bytes.slice(i, i + 16));
      lines.push(i.toString(16).padStart(8, '0') + '  ' + chunk.map((x) => x.toString(16).padStart(2, '0')).join(' ').padEnd(48) + '  ' + chunk.map((x) => (x >= 32 && x < 127 ? String.fromCharCode(x) : '.')).join(''));
    }
    return lines.join('\n');
  }
  const text = new TextDecoder('utf-8').decode(bytes);
  if (mode === 'json') {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (err) {
      return 'not JSON: ' + err.message + '\n\n' + text;
    }
  }
  return text;
}

function messageDetail(m) {
  const view = h('pre#body-view');
  const modes = ['text', 'json', 'hex'];
  const show = (mode) => {
    view.textContent = bodyAs(m.body, mode);
    for (const b of btns) b.classList.toggle('on', b.dataset.mode === mode);
  };
  const btns = modes.map((mode) => h('button.plain', { type: 'button', 'data-mode': mode, onclick: () => show(mode) }, mode));
  const dl = h('button.plain#download-message', { type: 'button' }, 'Download');
  dl.addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([JSON.stringify(m, null, 2)], { type: 'application/json' }));
    const a = h('a', { href: url, download: 'message-' + m.msgId + '.json' });
    document.body.append(a);
    a.click();
    a.remove();
  });
  const card = h('div.card#message-detail', {}, h('h3', {}, 'Message ' + m.msgId),
    table([{ label: 'Field', get: (r) => r[0] }, { label: 'Value', get: (r) => r[1] }], [
      ['topic', m.topic], ['broker set / queue / offset', m.brokerName + ' / ' + m.queueId + ' / ' + m.queueOffset], ['offset msgId', m.offsetMsgId],
      ['tags', m.tags || ''], ['keys', m.keys || ''], ['reconsume times', m.reconsumeTimes], ['born', time(m.bornTimestamp) + ' from ' + m.bornHost],
      ['stored', time(m.storeTimestamp) + ' on ' + m.storeHost], ['body size', fmt(m.bodySize) + ' bytes'],
    ]),
    h('h3', { style: 'margin-top:12px' }, 'Properties'),
    table([{ label: 'Name', get: (r) => r[0] }, { label: 'Value', get: (r) => r[1] }], Object.entries(m.properties || {}), { id: 'properties' }),
    h('div.row', {}, h('b', {}, 'Body as'), btns, dl), view);
  show('text');
  return card;
}

pages.messages = async (root) => {
  const mode = h('select#query-mode', {}, h('option', { value: 'key' }, 'topic + key'), h('option', { value: 'id' }, 'message id'), h('option', { value: 'time' }, 'topic + time range'));
  const topic = h('input#query-topic', { placeholder: 'topic', value: state.qTopic || '' });
  const key = h('input#query-key', { placeholder: 'key' });
  const id = h('input#query-id', { placeholder: 'message id', class: 'hidden' });
  const now = new Date(Date.now() - new Date().getTimezoneOffset() * 60000);
  const begin = h('input#query-begin', { type: 'datetime-local', class: 'hidden', value: new Date(now.getTime() - 3600000).toISOString().slice(0, 16) });
  const end = h('input#query-end', { type: 'datetime-local', class: 'hidden', value: new Date(now.getTime() + 60000).toISOString().slice(0, 16) });
  const results = h('div#query-results');
  const detail = h('div');
  const sync = () => {
    key.classList.toggle('hidden', mode.value !== 'key');
    id.classList.toggle('hidden', mode.value !== 'id');
    begin.classList.toggle('hidden', mode.value !== 'time');
    end.classList.toggle('hidden', mode.value !== 'time');
  };
  mode.addEventListener('change', sync);
  const query = () => {
    const q = new URLSearchParams();
    if (topic.value) q.set('topic', topic.value.trim());
    if (mode.value === 'key') q.set('key', key.value.trim());
    if (mode.value === 'id') q.set('id', id.value.trim());
    if (mode.value === 'time') { q.set('begin', String(new Date(begin.value).getTime())); q.set('end', String(new Date(end.value).getTime())); }
    return q.toString();
  };
  const run = h('button#query-run', { type: 'submit' }, 'Search');
  const dl = h('button.plain#query-download', { type: 'button', onclick: () => void download('/api/messages/download?' + query(), 'messages.json') }, 'Download results');
  const form = h('form.row', {}, mode, topic, key, id, begin, end, run, dl);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    state.qTopic = topic.value;
    void act(async () => {
      const list = await api('GET', '/api/messages?' + query());
      detail.replaceChildren();
      results.replaceChildren(h('div.muted', {}, list.length + ' message(s)' + (list.length >= 2000 ? ' (first 2000)' : '')),
        table([
          { label: 'Message id', key: 'msgId', get: (m) => m.msgId },
          { label: 'Topic', get: (m) => m.topic },
          { label: 'Tags', get: (m) => m.tags || '' },
          { label: 'Keys', key: 'keys', get: (m) => m.keys || '' },
          { label: 'Stored', get: (m) => time(m.storeTimestamp) },
          { label: 'Size', num: true, get: (m) => m.bodySize },
        ], list, { id: 'message-table', key: (m) => m.msgId, onclick: (m) => detail.replaceChildren(messageDetail(m)) }));
      if (list.length === 1) detail.replaceChildren(messageDetail(list[0]));
    });
  });
  root.append(h('div.card', {}, h('h3', {}, 'Find messages'), form, results), detail);
  sync();
};

pages.dlq = async (root, arg) => {
  const group = h('input#dlq-group', { placeholder: 'consumer group', value: arg || state.dlqGroup || '' });
  const box = h('div');
  const load = async () => {
    state.dlqGroup = group.value.trim();
    if (!state.dlqGroup) return;
    const list = await api('GET', '/api/dlq/' + encodeURIComponent(state.dlqGroup));
    const checks = new Map();
    const resend = h('button#dlq-resend', { type: 'button', disabled: !isAdmin() || undefined }, 'Resend selected to origin topic');
    resend.addEventListener('click', () => void act(async () => {
      const ids = [...checks].filter(([, c]) => c.checked).map(([k]) => k);
      if (ids.length === 0) throw new Error('select at least one dead letter');
      const r = await api('POST', '/api/dlq/' + encodeURIComponent(state.dlqGroup) + '/resend', { msgIds: ids });
      const bad = r.filter((x) => !x.ok);
      if (bad.length) throw new Error(bad.map((x) => x.msgId + ': ' + x.error).join('; '));
      status('resent ' + r.length + ' message(s) to ' + [...new Set(r.map((x) => x.topic))].join(', '), true);
    }));
    const all = h('input#dlq-all', { type: 'checkbox', onchange: (e) => { for (const c of checks.values()) c.checked = e.target.checked; } });
    box.replaceChildren(
      h('div.row', {}, h('label', {}, all, ' all'), resend, h('button.plain#dlq-export', { type: 'button', onclick: () => void download('/api/dlq/' + encodeURIComponent(state.dlqGroup) + '/export', 'dlq-' + state.dlqGroup + '.json') }, 'Export'), h('span.muted', {}, list.length + ' dead letter(s) in %DLQ%' + state.dlqGroup)),
      table([
        { label: '', get: (m) => { const c = h('input', { type: 'checkbox', 'data-msgid': m.msgId }); checks.set(m.msgId, c); return c; } },
        { label: 'Message id', key: 'msgId', get: (m) => m.msgId },
        { label: 'Origin topic', key: 'origin', get: (m) => m.originTopic },
        { label: 'Attempts', num: true, key: 'attempts', get: (m) => m.attempts },
        { label: 'Keys', get: (m) => m.keys || '' },
        { label: 'Dead since', get: (m) => time(m.storeTimestamp) },
        { label: 'Body', get: (m) => bodyAs(m.body, 'text').slice(0, 60) },
      ], list, { id: 'dlq-table', key: (m) => m.msgId, empty: 'no dead letters' }),
    );
  };
  const form = h('form.row', {}, group, h('button#dlq-load', { type: 'submit' }, 'Show dead letters'));
  form.addEventListener('submit', (e) => { e.preventDefault(); void act(load); });
  root.append(h('div.card', {}, h('h3', {}, 'Dead-letter queue'), form, box));
  await load();
};

pages.alerts = async (root) => {
  const a = await api('GET', '/api/alerts');
  const stateOf = new Map(a.states.map((x) => [x.threshold.id, x]));
  const f = {
    group: h('input#alert-group', { placeholder: 'group (required)' }),
    topic: h('input#alert-topic', { placeholder: 'topic (optional)' }),
    brokerName: h('input#alert-broker', { placeholder: 'broker set (per queue)' }),
    queueId: h('input#alert-queue', { type: 'number', min: 0, placeholder: 'queue id', style: 'width:90px' }),
    maxCount: h('input#alert-count', { type: 'number', min: 0, placeholder: 'max backlog', style: 'width:110px' }),
    maxAgeSeconds: h('input#alert-age', { type: 'number', min: 0, placeholder: 'max age s', style: 'width:100px' }),
  };
  const add = h('button#alert-add', { type: 'button', disabled: !isAdmin() || undefined }, 'Add threshold');
  add.addEventListener('click', () => void act(async () => {
    const body = {};
    for (const [k, el] of Object.entries(f)) if (el.value !== '') body[k] = k === 'queueId' || k.startsWith('max') ? Number(el.value) : el.value.trim();
    await api('POST', '/api/alerts', body);
    await render();
  }, 'threshold added'));
  const rules = h('pre#rules');
  root.append(
    h('div.card', {}, h('h3', {}, 'Backlog thresholds'),
      h('div.muted', {}, 'A threshold fires when the backlog of the group (or of one topic or queue) exceeds the count, or its oldest unconsumed message is older than the age.'),
      table([
        { label: 'State', key: 'state', get: (t) => { const st = stateOf.get(t.id); return h('span', { class: st && st.firing ? 'bad' : 'ok' }, st ? (st.firing ? 'FIRING' : st.error ? 'unknown' : 'ok') : 'pending'); } },
        { label: 'Group', key: 'group', get: (t) => t.group },
        { label: 'Scope', get: (t) => (t.queueId !== undefined ? t.topic + ' ' + t.brokerName + ':' + t.queueId : t.topic || 'whole group') },
        { label: 'Max backlog', num: true, get: (t) => t.maxCount },
        { label: 'Max age', get: (t) => (t.maxAgeSeconds !== undefined ? age(t.maxAgeSeconds) : '') },
        { label: 'Backlog now', num: true, key: 'count', get: (t) => (stateOf.get(t.id) || {}).count },
        { label: 'Oldest now', get: (t) => age((stateOf.get(t.id) || {}).ageSeconds || 0) },
        { label: 'Why', get: (t) => { const st = stateOf.get(t.id) || {}; return st.error || (st.reasons || []).join('; '); } },
        { label: 'Since', get: (t) => time((stateOf.get(t.id) || {}).since) },
        { label: '', get: (t) => h('button.plain', { type: 'button', disabled: !isAdmin() || undefined, onclick: () => void act(async () => { await api('DELETE', '/api/alerts/' + t.id); await render(); }) }, 'remove') },
      ], a.thresholds, { id: 'alert-table', key: (t) => t.id, empty: 'no thresholds yet' })),
    h('div.card', {}, h('h3', {}, 'Add a threshold'), h('div.row', {}, Object.values(f), add)),
    h('div.card', {}, h('div.row', {}, h('h3', { style: 'margin:0' }, 'Prometheus rules'), h('span.muted', {}, 'GET /api/alerts/rules'), h('button.plain#rules-download', { type: 'button', onclick: () => void download('/api/alerts/rules', 'mq-console-rules.yml') }, 'Download')), rules),
  );
  const res = await fetch('/api/alerts/rules', { headers: { authorization: 'Bearer ' + state.token } });
  rules.textContent = await res.text();
};

// ---------------------------------------------------------------- shell

function go(hash) {
  if (window.location.hash === '#' + hash) void render();
  else window.location.hash = hash;
}

let rendering = false;
async function render() {
  clearTimeout(state.timer);
  if (!state.role) return;
  const [page, ...rest] = (window.location.hash.slice(1) || 'cluster').split('/');
  const arg = rest.length ? decodeURIComponent(rest.join('/')) : '';
  const fn = pages[page] || pages.cluster;
  const changed = state.page !== page + '/' + arg;
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === page);
  // Live pages refresh on their own; forms (topics list, messages, alerts editing) only on demand.
  const live = page === 'cluster' || (page === 'groups') || (page === 'topics' && arg !== '') || page === 'alerts';
  if (!changed && !live) return;
  if (rendering) return;
  rendering = true;
  if (changed) status('');
  try {
    const root = h('div#page', { 'data-page': page });
    await fn(root, arg);
    const main = $('#main');
    // Keep the focus and values of an edit in progress on a live page (alerts form): skip the refresh then.
    if (!changed && main.contains(document.activeElement) && document.activeElement.tagName === 'INPUT') return;
    main.replaceChildren(root);
    state.page = page + '/' + arg;
    $('#live').classList.remove('stale');
  } catch (err) {
    status(err.message);
    $('#live').classList.add('stale');
  } finally {
    rendering = false;
    if (live && state.role) state.timer = setTimeout(() => void render(), 2000);
  }
}

async function pollFiring() {
  if (!state.role) return;
  try {
    const a = await api('GET', '/api/alerts');
    const n = a.states.filter((x) => x.firing).length;
    const b = $('#firing-count');
    b.textContent = String(n);
    b.classList.toggle('hidden', n === 0);
  } catch {
    // the status bar shows errors of the page itself
  }
  setTimeout(() => void pollFiring(), 3000);
}

function signOut(msg) {
  state.token = '';
  state.role = '';
  state.page = '';
  sessionStorage.removeItem('mq-console-token');
  window.location.reload();
  if (msg) status(msg);
}

async function signIn(token) {
  state.token = token;
  try {
    const who = await api('GET', '/api/whoami');
    state.role = who.role;
  } catch (err) {
    state.token = '';
    status('sign-in failed: ' + err.message);
    return;
  }
  sessionStorage.setItem('mq-console-token', token);
  $('#role').textContent = state.role === 'admin' ? 'admin' : 'read-only';
  $('#logout').classList.remove('hidden');
  status('');
  await render();
  void pollFiring();
}

$('#login').addEventListener('submit', (e) => {
  e.preventDefault();
  void signIn($('#token').value.trim());
});
$('#logout').addEventListener('click', () => signOut());
window.addEventListener('hashchange', () => void render());
if (state.token) void signIn(state.token);
