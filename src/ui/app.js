// convmock dashboard: the journal, the data and the admin controls, live.
//
// Everything here goes through the admin API (/__admin/...) and the emulated API (/v1/...)
// of the server that serves this page; nothing is fetched from elsewhere. Text from the
// server is only ever put in the page as text (textContent, never innerHTML), so an ID or a
// message containing markup shows as the characters it is.
'use strict';

/** Rows the journal table shows at most: the newest that pass the filters. */
const ROWS = 100;
/** Journal entries the page keeps, for filtering and details, besides the newest ROWS that
 * pass the filters, which are kept however many others come after them. */
const KEEP = 1000;
/** Entries past KEEP let in before the oldest are dropped, so that dropping is done in
 * batches. */
const SLACK = 100;
/** Events the page keeps, to show what a request emitted. */
const KEEP_EVENTS = 2000;
/** Seconds of traffic the chart shows. */
const CHART_SECONDS = 120;
/** Records the data table shows at most. */
const RECORDS = 500;
/** How often the journal table is redrawn at most, in ms. */
const REDRAW_MS = 250;
const SVG = 'http://www.w3.org/2000/svg';
const RESOURCES = ['conversations', 'contacts', 'groups', 'messages'];
const TOKEN_KEY = 'convmock-admin-token';

const $ = (selector, root = document) => root.querySelector(selector);

/** An element with attributes and children; strings become text nodes. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** A value as short text for a table cell. */
function show(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object') {
    const text = JSON.stringify(value);
    return text.length > 120 ? text.slice(0, 119) + '…' : text;
  }
  return String(value);
}

function pretty(text) {
  if (text === null || text === undefined) return '(none)';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

const notice = $('#notice');
let noticeTimer;
/** Tells the user how an action went, in the page's one alert region. */
function tell(message, isError = false) {
  notice.hidden = false;
  notice.textContent = message;
  notice.classList.toggle('error', isError);
  clearTimeout(noticeTimer);
  if (!isError) noticeTimer = setTimeout(() => { notice.hidden = true; }, 6000);
}

// ---------------------------------------------------------------------------------------
// Calls, with the admin token when the server wants one.

let adminToken = sessionStorage.getItem(TOKEN_KEY) || '';
let asking = null;

/** Shows the token dialog until a token the server takes is given. */
function askToken() {
  if (asking) return asking;
  const dialog = $('#login');
  const form = $('#login-form');
  asking = new Promise((done) => {
    const submit = async (event) => {
      event.preventDefault();
      const token = form.token.value.trim();
      const res = await fetch('/__admin/health', { headers: { Authorization: `Bearer ${token}` } });
      if (res.status === 401) {
        $('#login-error').textContent = 'The server does not take this token.';
        return;
      }
      adminToken = token;
      sessionStorage.setItem(TOKEN_KEY, token);
      form.removeEventListener('submit', submit);
      dialog.close();
      asking = null;
      done();
    };
    form.addEventListener('submit', submit);
    dialog.addEventListener('cancel', (e) => e.preventDefault());
    dialog.showModal();
    form.token.focus();
  });
  return asking;
}

function adminHeaders(extra = {}) {
  return adminToken ? { ...extra, Authorization: `Bearer ${adminToken}` } : extra;
}

/** The message of an error body, in whichever profile's shape it comes. */
function messageOf(res) {
  const j = res.json;
  const found = j && (j.error_message || j.message || (j.error && (j.error.message || j.error))
    || (Array.isArray(j.errors) && j.errors[0] && (j.errors[0].message || j.errors[0])));
  return typeof found === 'string' ? found : res.text.slice(0, 300);
}

/** An admin call: `{status, ok, json, text}`; asks for the admin token on a 401. */
async function admin(method, path, body) {
  for (let tries = 0; tries < 5; tries++) {
    const headers = adminHeaders(body === undefined ? {} : { 'Content-Type': 'application/json' });
    const res = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 401) {
      await askToken();
      continue;
    }
    return read(res);
  }
  throw new Error('the admin token was refused');
}

/** A call to the emulated API with a workspace's bearer token. */
async function api(method, path, body, token) {
  const headers = body === undefined ? {} : { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return read(res);
}

async function read(res) {
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: res.status, ok: res.ok, json, text };
}

/** Tells how a call went; true when it succeeded. */
function report(res, what) {
  if (res.ok) {
    tell(`${what}: ${res.status}.`);
    return true;
  }
  tell(`${what}: ${res.status} — ${messageOf(res)}`, true);
  return false;
}

// ---------------------------------------------------------------------------------------
// Live streams: Server-Sent Events read with fetch, so that the admin token goes in a header
// (an EventSource cannot send one) and never in a URL.

const streams = {};

function showLive() {
  const parts = Object.entries(streams).map(([name, s]) => `${name}: ${s}`);
  $('#live').textContent = parts.join('; ');
}

/**
 * Follows the SSE stream at `path`, calling `onRecord(type, data, id)` for each record,
 * reconnecting after a pause when it ends. A server that answers with something other than
 * a stream has no such feed: the view says so and does not ask again.
 */
async function follow(name, path, onRecord, onOpen) {
  let lastId = '';
  let pause = 1000;
  for (;;) {
    streams[name] = 'connecting';
    showLive();
    try {
      const headers = adminHeaders({ Accept: 'text/event-stream' });
      if (lastId) headers['Last-Event-ID'] = lastId;
      const res = await fetch(path, { headers, cache: 'no-store' });
      if (res.status === 401) {
        await askToken();
        continue;
      }
      const type = res.headers.get('Content-Type') || '';
      if (!res.ok || !type.startsWith('text/event-stream')) {
        await res.body?.cancel();
        streams[name] = 'not live on this server';
        showLive();
        return;
      }
      streams[name] = 'live';
      showLive();
      pause = 1000;
      if (onOpen) onOpen();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const record = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let id = null;
          const data = [];
          for (const line of record.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const rest = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') event = rest;
            else if (field === 'data') data.push(rest);
            else if (field === 'id') id = rest;
          }
          if (id !== null) lastId = id;
          if (data.length) {
            let parsed = null;
            try { parsed = JSON.parse(data.join('\n')); } catch { parsed = null; }
            onRecord(event, parsed, id);
          }
        }
      }
    } catch (err) {
      // The server went away or restarted: try again after the pause.
    }
    streams[name] = 'reconnecting';
    showLive();
    await new Promise((done) => setTimeout(done, pause));
    pause = Math.min(pause * 2, 10000);
  }
}

// ---------------------------------------------------------------------------------------
// Views.

const views = ['requests', 'data', 'controls', 'webhooks'];
let current = 'requests';

function showView() {
  const wanted = location.hash.slice(1);
  current = views.includes(wanted) ? wanted : 'requests';
  for (const panel of document.querySelectorAll('[data-view-panel]')) {
    panel.hidden = panel.dataset.viewPanel !== current;
  }
  for (const link of document.querySelectorAll('nav a[data-view]')) {
    if (link.dataset.view === current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (current === 'requests') drawJournal();
  if (current === 'data') loadRecords();
  if (current === 'controls') loadControls();
  if (current === 'webhooks') loadWebhooks();
}

// ---------------------------------------------------------------------------------------
// The journal.

const journal = [];
const events = new Map();
let lost = 0;
let selected = null;
let redrawTimer = null;
const filters = $('#journal-filters');
const tokensSeen = new Set();

function statusClass(status) {
  return status ? `s${Math.floor(status / 100)}` : '';
}

function passes(entry) {
  const method = filters.method.value;
  const status = filters.status.value;
  const path = filters.path.value.trim();
  if (method && entry.method !== method) return false;
  if (status === 'none' && entry.status !== null) return false;
  if (status === 'error' && !(entry.status >= 400)) return false;
  if (/^[2-5]$/.test(status) && Math.floor((entry.status || 0) / 100) !== Number(status)) return false;
  if (path && !target(entry).includes(path)) return false;
  return true;
}

function target(entry) {
  return entry.query === null ? entry.path : `${entry.path}?${entry.query}`;
}

function clock(entry) {
  const d = new Date(entry.seen);
  return d.toTimeString().slice(0, 8) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

function scheduleJournal() {
  if (redrawTimer === null) redrawTimer = setTimeout(drawJournal, REDRAW_MS);
}

function drawJournal() {
  clearTimeout(redrawTimer);
  redrawTimer = null;
  if (current !== 'requests' || filters.pause.checked) return;
  const rows = [];
  let matched = 0;
  for (let i = journal.length - 1; i >= 0 && rows.length < ROWS; i--) {
    const entry = journal[i];
    if (!passes(entry)) continue;
    matched++;
    rows.push(journalRow(entry));
  }
  $('#journal tbody').replaceChildren(...rows);
  const skipped = lost ? `; ${lost} skipped while the page could not keep up` : '';
  $('#journal-count').textContent = `Showing ${rows.length} (newest first) of the ${journal.length} `
    + `requests this page holds${skipped}.`;
  return matched;
}

function journalRow(entry) {
  const row = h('tr', { class: entry === selected ? 'selected' : undefined },
    h('td', { class: 'mono' }, h('button', {
      class: 'link', type: 'button', 'aria-label': `Details of ${entry.method} ${entry.path}`,
      onclick: () => select(entry),
    }, clock(entry))),
    h('td', {}, entry.method),
    h('td', { class: 'mono' }, target(entry)),
    h('td', { class: statusClass(entry.status) }, entry.status ?? 'no answer'),
    h('td', {}, entry.duration_ms),
    h('td', { class: 'mono' }, entry.token ?? '—'),
    h('td', {}, entry.error ?? ''));
  return row;
}

/** Drops the oldest entries past KEEP, sparing the newest ROWS that pass the filters: a
 * request a developer filtered for stays in the table however fast others come in. */
function trimJournal() {
  if (journal.length <= KEEP + SLACK) return;
  const spared = new Set();
  for (let i = journal.length - 1; i >= 0 && spared.size < ROWS; i--) {
    if (passes(journal[i])) spared.add(journal[i]);
  }
  let excess = journal.length - KEEP;
  const kept = journal.filter((entry) => {
    if (excess === 0 || spared.has(entry)) return true;
    excess--;
    return false;
  });
  journal.length = 0;
  journal.push(...kept);
}

function addEntry(entry, live) {
  entry.seen = Date.now();
  journal.push(entry);
  trimJournal();
  if (entry.token && !tokensSeen.has(entry.token) && tokensSeen.size < 200) {
    tokensSeen.add(entry.token);
    $('#tokens').append(h('option', { value: entry.token }));
  }
  if (live) {
    count(entry.status);
    if (entry.status === null || entry.status >= 500) faultsChanged();
  }
  scheduleJournal();
}

function onJournal(type, data) {
  if (type === 'request' && data) addEntry(data, backlogDone);
  else if (type === 'ready') backlogDone = true;
  else if (type === 'lost' && data) {
    lost += data.lost;
    count(null, data.lost);
    scheduleJournal();
  } else if (type === 'cleared') {
    journal.length = 0;
    scheduleJournal();
  }
}
let backlogDone = false;

function select(entry) {
  selected = entry;
  const panel = $('#request');
  panel.hidden = false;
  const facts = [
    ['Method', entry.method], ['Path', target(entry)], ['Token', entry.token ?? '(none)'],
    ['Server time', entry.time],
  ];
  $('#request-facts').replaceChildren(...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { class: 'mono' }, v)]));
  $('#request-body').textContent = pretty(entry.body);
  const answer = [
    ['Status', entry.status ?? 'no answer (dropped or abandoned)'], ['Duration', `${entry.duration_ms} ms`],
    ['Why', entry.error ?? '—'],
  ];
  $('#request-answer').replaceChildren(...answer.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  const emitted = (entry.events || []).map((id) => {
    const e = events.get(id);
    return h('li', {}, h('span', { class: 'mono' }, id), e ? ` ${e.type}` : '',
      e ? h('pre', {}, JSON.stringify(e.payload, null, 2)) : '');
  });
  $('#request-events').replaceChildren(...(emitted.length ? emitted : [h('li', {}, 'none')]));
  $('#curl').textContent = curlOf(entry);
  drawJournal();
  $('#request-title').scrollIntoView({ block: 'nearest' });
}

function quote(text) {
  return `'${String(text).replaceAll("'", "'\\''")}'`;
}

/** The request as a curl command (the journal keeps no Content-Type: JSON when it looks like it). */
function curlOf(entry) {
  const parts = ['curl'];
  if (entry.method !== 'GET') parts.push('-X', /^[A-Za-z]+$/.test(entry.method) ? entry.method : quote(entry.method));
  parts.push(quote(location.origin + target(entry)));
  if (entry.token) parts.push('-H', quote(`Authorization: Bearer ${entry.token}`));
  if (entry.body !== null) {
    const json = /^\s*[[{]/.test(entry.body);
    parts.push('-H', quote(`Content-Type: ${json ? 'application/json' : 'application/x-www-form-urlencoded'}`));
    parts.push('--data-raw', quote(entry.body));
  }
  return parts.join(' ');
}

$('#copy-curl').addEventListener('click', async () => {
  const text = $('#curl').textContent;
  try {
    await navigator.clipboard.writeText(text);
    tell('Copied the curl command.');
  } catch {
    const range = document.createRange();
    range.selectNodeContents($('#curl'));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    tell('The clipboard is not available: the command is selected, copy it with Ctrl+C.');
  }
});
$('#request-close').addEventListener('click', () => {
  selected = null;
  $('#request').hidden = true;
  drawJournal();
});
filters.addEventListener('input', drawJournal);
filters.addEventListener('submit', (e) => e.preventDefault());
$('#journal-clear').addEventListener('click', async () => {
  const res = await admin('DELETE', '/__admin/requests');
  if (report(res, 'Clear the journal')) {
    journal.length = 0;
    drawJournal();
  }
});

function onEvent(type, data) {
  if (!data || !data.id) return;
  events.set(data.id, data);
  if (events.size > KEEP_EVENTS) events.delete(events.keys().next().value);
  // Events do not say their workspace: any change reloads the records shown.
  if (current === 'data') scheduleRecords();
  if (current === 'webhooks') scheduleWebhooks();
}

// ---------------------------------------------------------------------------------------
// The chart: requests per second by status class, from the journal feed as it arrives.

const seconds = [];
const CLASSES = ['2', '3', '4', '5', 'x'];
const CLASS_NAMES = { 2: '2xx', 3: '3xx', 4: '4xx', 5: '5xx', x: 'no answer or skipped' };

function bucket() {
  const now = Math.floor(Date.now() / 1000);
  let last = seconds[seconds.length - 1];
  if (!last || last.t !== now) {
    last = { t: now, 2: 0, 3: 0, 4: 0, 5: 0, x: 0 };
    seconds.push(last);
    while (seconds.length && seconds[0].t <= now - CHART_SECONDS) seconds.shift();
  }
  return last;
}

function count(status, n = 1) {
  const cls = status ? String(Math.floor(status / 100)) : 'x';
  bucket()[CLASSES.includes(cls) ? cls : 'x'] += n;
}

function drawChart() {
  bucket();
  const now = Math.floor(Date.now() / 1000);
  const byT = new Map(seconds.map((s) => [s.t, s]));
  let peak = 1;
  for (const s of seconds) peak = Math.max(peak, CLASSES.reduce((n, c) => n + s[c], 0));
  const paths = Object.fromEntries(CLASSES.map((c) => [c, '']));
  for (let i = 0; i < CHART_SECONDS; i++) {
    const s = byT.get(now - CHART_SECONDS + 1 + i);
    if (!s) continue;
    let y = 100;
    for (const c of CLASSES) {
      if (!s[c]) continue;
      const height = (s[c] / peak) * 100;
      y -= height;
      paths[c] += `M${i} ${y.toFixed(2)}h0.9v${height.toFixed(2)}h-0.9z`;
    }
  }
  let svg = $('#chart svg');
  if (!svg) {
    svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', `0 0 ${CHART_SECONDS} 100`);
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.setAttribute('aria-hidden', 'true');
    for (const c of CLASSES) {
      const path = document.createElementNS(SVG, 'path');
      path.setAttribute('class', `c${c}`);
      svg.append(path);
    }
    $('#chart').append(svg);
  }
  CLASSES.forEach((c, i) => svg.children[i].setAttribute('d', paths[c]));
  const recent = seconds.filter((s) => s.t > now - 11 && s.t < now);
  const sums = Object.fromEntries(CLASSES.map((c) => [c, recent.reduce((n, s) => n + s[c], 0)]));
  const total = CLASSES.reduce((n, c) => n + sums[c], 0);
  const span = Math.max(recent.length, 1);
  const split = CLASSES.filter((c) => sums[c]).map((c) => `${CLASS_NAMES[c]} ${sums[c]}`).join(', ');
  $('#chart-text').textContent = `Last 10 s: ${(total / span).toFixed(1)} requests per second`
    + `${split ? ` (${split})` : ''}. The bars show the last ${CHART_SECONDS / 60} minutes, `
    + `up to ${peak} a second; stacked from the bottom: 2xx, 3xx, 4xx, 5xx, no answer.`;
}

// ---------------------------------------------------------------------------------------
// Data: a workspace's records, changed through the emulated API.

const pick = $('#data-pick');
let resource = 'conversations';
let recordFilter = null;
let records = [];
let schemas = null;
let isolated = false;
let recordsTimer = null;

function singular(plural) {
  return plural.slice(0, -1);
}

function schemaName(plural, prefix = '') {
  const one = singular(plural);
  return prefix + one[0].toUpperCase() + one.slice(1);
}

async function loadSchemas() {
  if (schemas) return schemas;
  const res = await fetch('/openapi.json');
  schemas = res.ok ? (await res.json()).components.schemas : {};
  return schemas;
}

function workspaceToken() {
  return pick.token.value.trim();
}

for (const plural of RESOURCES) {
  $('#resources').append(h('button', {
    type: 'button', 'aria-pressed': String(plural === resource), 'data-resource': plural,
    onclick: () => { showResource(plural, null); },
  }, plural));
}

function showResource(plural, filter) {
  resource = plural;
  recordFilter = filter;
  for (const b of document.querySelectorAll('#resources button')) {
    b.setAttribute('aria-pressed', String(b.dataset.resource === plural));
  }
  $('#edit').hidden = true;
  loadRecords();
}

function scheduleRecords() {
  if (recordsTimer === null) recordsTimer = setTimeout(() => { recordsTimer = null; loadRecords(); }, 300);
}

async function loadRecords() {
  await loadSchemas();
  const token = workspaceToken();
  const query = isolated || token ? `?token=${encodeURIComponent(token)}` : '';
  const res = await admin('GET', `/__admin/${resource}${query}`);
  if (!res.ok) {
    if (res.status === 400 && /token/.test(messageOf(res))) isolated = true;
    $('#data-count').textContent = `${res.status}: ${messageOf(res)}`;
    $('#records thead').replaceChildren();
    $('#records tbody').replaceChildren();
    return;
  }
  records = res.json[resource] || [];
  drawRecords();
  drawCreate();
}

/** The resource a field refers to: `contact_id` and `contact` to contacts, `contacts` to contacts. */
function referenceOf(field) {
  for (const plural of RESOURCES) {
    const one = singular(plural);
    if (field === `${one}_id` || field.endsWith(`_${one}_id`) || field === one || field === plural) return plural;
  }
  return null;
}

function idButton(plural, id) {
  return h('button', {
    class: 'link mono', type: 'button', 'aria-label': `Show ${singular(plural)} ${id}`,
    onclick: () => showResource(plural, { field: 'id', value: id }),
  }, id);
}

function cell(field, value) {
  const ref = field === 'id' ? null : referenceOf(field);
  if (ref && typeof value === 'string') return h('td', {}, idButton(ref, value));
  if (ref && value && typeof value === 'object' && typeof value.id === 'string') {
    return h('td', {}, idButton(ref, value.id));
  }
  if (ref && Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return h('td', {}, value.flatMap((v, i) => (i ? [' ', idButton(ref, v)] : [idButton(ref, v)])));
  }
  return h('td', { class: field === 'id' ? 'mono' : undefined }, show(value));
}

/** Links from a record to the records that refer to it (a conversation's messages). */
function backLinks(record) {
  const one = singular(resource);
  const links = [];
  for (const plural of RESOURCES) {
    const props = schemas[schemaName(plural)]?.properties || {};
    if (plural !== resource && props[`${one}_id`]) {
      links.push(h('button', {
        type: 'button', class: 'link',
        onclick: () => showResource(plural, { field: `${one}_id`, value: record.id }),
      }, `its ${plural}`));
    }
  }
  return links;
}

function drawRecords() {
  const shown = recordFilter
    ? records.filter((r) => show(r[recordFilter.field]) === recordFilter.value) : records;
  const fields = shown.length ? Object.keys(shown[0]) : Object.keys(schemas[schemaName(resource)]?.properties || {});
  const filterNote = $('#data-filter');
  filterNote.hidden = !recordFilter;
  if (recordFilter) $('span', filterNote).textContent = `${resource} where ${recordFilter.field} = ${recordFilter.value}`;
  $('#records thead').replaceChildren(h('tr', {}, fields.map((f) => h('th', { scope: 'col' }, f)),
    h('th', { scope: 'col' }, 'Actions')));
  const rows = shown.slice(0, RECORDS).map((record) => h('tr', {},
    fields.map((f) => cell(f, record[f])),
    h('td', {}, h('span', { class: 'row' },
      backLinks(record),
      h('button', { type: 'button', 'aria-label': `Edit ${record.id}`, onclick: () => edit(record) }, 'Edit'),
      deleteButton(record)))));
  $('#records tbody').replaceChildren(...rows);
  $('#data-count').textContent = `${shown.length} ${resource}${shown.length > RECORDS ? `, the first ${RECORDS} shown` : ''}, in list order.`;
}

function deleteButton(record) {
  const button = h('button', { type: 'button', 'aria-label': `Delete ${record.id}` }, 'Delete');
  button.addEventListener('click', async () => {
    if (button.dataset.armed !== 'yes') {
      button.dataset.armed = 'yes';
      button.textContent = 'Confirm delete';
      setTimeout(() => { button.dataset.armed = ''; button.textContent = 'Delete'; }, 5000);
      return;
    }
    const res = await api('DELETE', `/v1/${resource}/${encodeURIComponent(record.id)}`, undefined, workspaceToken());
    if (report(res, `Delete ${record.id}`)) loadRecords();
  });
  return button;
}

/** Form fields for a schema's properties, filled from `record` when given. */
function fieldsFor(schema, record) {
  return Object.entries(schema?.properties || {}).map(([name, prop]) => {
    const types = [].concat(prop.type || 'string');
    const type = types.find((t) => t !== 'null');
    const value = record ? record[name] : undefined;
    const required = (schema.required || []).includes(name);
    let input;
    if (type === 'boolean') {
      input = h('input', { type: 'checkbox', name, 'data-type': type });
      input.checked = Boolean(value);
      return h('label', { class: 'check' }, input, ` ${name}`);
    }
    input = h('input', {
      name, 'data-type': type, 'data-nullable': types.includes('null') ? 'yes' : undefined,
      inputmode: type === 'integer' ? 'numeric' : undefined, required: required || undefined,
      spellcheck: 'false', autocomplete: 'off',
    });
    if (value !== undefined && value !== null) {
      input.value = typeof value === 'object' ? JSON.stringify(value) : String(value);
    }
    input.dataset.initial = input.value;
    return h('label', {}, `${name}${required ? ' (required)' : ''}${type === 'array' || type === 'object' ? ' (JSON)' : ''}`, input);
  });
}

/** The body a form says: each field typed as its schema has it; only changed ones if `changedOnly`. */
function bodyOf(form, changedOnly) {
  const body = {};
  for (const input of form.querySelectorAll('input[name]')) {
    const { type, nullable, initial } = input.dataset;
    if (type === 'boolean') {
      if (!changedOnly || input.checked !== input.defaultChecked) body[input.name] = input.checked;
      continue;
    }
    if (changedOnly && input.value === initial) continue;
    const text = input.value.trim();
    if (text === '') {
      if (nullable || changedOnly) body[input.name] = null;
      continue;
    }
    if (type === 'integer' || type === 'number') body[input.name] = Number(text);
    else if (type === 'array' || type === 'object') {
      try { body[input.name] = JSON.parse(text); } catch { body[input.name] = text; }
    } else body[input.name] = input.value;
  }
  return body;
}

let editing = null;
function edit(record) {
  editing = record;
  const schema = schemas[schemaName(resource, 'Update')];
  $('#edit-title').textContent = `Edit ${singular(resource)} ${record.id}`;
  const fields = fieldsFor(schema, record);
  for (const input of fields.map((l) => $('input', l))) {
    if (input.type === 'checkbox') input.defaultChecked = input.checked;
  }
  $('#edit-form .fields').replaceChildren(...fields);
  $('#edit').hidden = false;
  $('#edit-form input')?.focus();
}

$('#edit-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const body = bodyOf(event.target, true);
  if (!Object.keys(body).length) {
    tell('Nothing changed.');
    return;
  }
  const res = await api('PUT', `/v1/${resource}/${encodeURIComponent(editing.id)}`, body, workspaceToken());
  if (report(res, `Update ${editing.id}`)) {
    $('#edit').hidden = true;
    loadRecords();
  }
});
$('#edit-cancel').addEventListener('click', () => { $('#edit').hidden = true; });

let createFor = null;
function drawCreate() {
  if (createFor === resource) return;
  createFor = resource;
  $('#create summary').textContent = `Create a ${singular(resource)}`;
  $('#create-form .fields').replaceChildren(...fieldsFor(schemas[schemaName(resource, 'Create')], null));
}

$('#create-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const res = await api('POST', `/v1/${resource}`, bodyOf(event.target, false), workspaceToken());
  if (report(res, `Create a ${singular(resource)}`)) {
    event.target.reset();
    loadRecords();
  }
});
pick.addEventListener('submit', (event) => {
  event.preventDefault();
  loadRecords();
});
pick.token.addEventListener('change', loadRecords);
$('#data-unfilter').addEventListener('click', () => showResource(resource, null));

// ---------------------------------------------------------------------------------------
// Controls: reset, the clock, next IDs, fault rules, simulated messages.

let clockState = null;
let faultsTimer = null;

async function loadControls() {
  await Promise.all([loadClock(), loadIds(), loadFaults()]);
}

async function loadClock() {
  const res = await admin('GET', '/__admin/clock');
  if (!res.ok) return;
  clockState = { ...res.json, at: Date.now() };
  drawClock();
}

function drawClock() {
  if (!clockState) return;
  const now = clockState.frozen ? clockState.now
    : clockState.now + Math.floor((Date.now() - clockState.at) / 1000);
  const when = new Date(now * 1000).toISOString().replace('.000Z', 'Z');
  $('#clock-now').textContent = `Server time ${now} (${when}): `
    + (clockState.frozen ? 'frozen.' : 'following the system clock.');
  if (!$('#clock-freeze').now.value) $('#clock-freeze').now.value = String(now);
}

async function setClock(body, what) {
  const res = await admin('PUT', '/__admin/clock', body);
  if (report(res, what)) {
    clockState = { ...res.json, at: Date.now() };
    drawClock();
  }
}

$('#clock-freeze').addEventListener('submit', (event) => {
  event.preventDefault();
  setClock({ now: Number(event.target.now.value) }, 'Freeze the clock');
});
$('#clock-advance').addEventListener('submit', (event) => {
  event.preventDefault();
  setClock({ advance: Number(event.target.advance.value) }, 'Advance the clock');
});
$('#clock-system').addEventListener('click', () => setClock({ system: true }, 'Follow the system clock'));

$('#reset').addEventListener('click', async () => {
  const res = await admin('POST', '/__admin/reset');
  if (report(res, 'Reset')) {
    journal.length = 0;
    lost = 0;
    drawJournal();
    createFor = null;
    await loadControls();
  }
});

function idsQuery() {
  const token = workspaceToken();
  return isolated || token ? `?token=${encodeURIComponent(token)}` : '';
}

async function loadIds() {
  const res = await admin('GET', `/__admin/next-ids${idsQuery()}`);
  $('#ids-queue').textContent = res.ok
    ? (res.json.ids.length ? `Queued: ${res.json.ids.join(' ')}` : 'No IDs queued.')
    : `${res.status}: ${messageOf(res)}`;
}

$('#ids-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const ids = event.target.ids.value.split(/[\s,]+/).filter(Boolean);
  const res = await admin('POST', `/__admin/next-ids${idsQuery()}`, { ids });
  if (report(res, 'Queue IDs')) {
    event.target.reset();
    loadIds();
  }
});

async function loadFaults() {
  const res = await admin('GET', '/__admin/faults');
  if (!res.ok) return;
  const rows = res.json.faults.map((rule) => {
    const action = rule.status !== undefined && rule.status !== null ? `status ${rule.status}`
      : rule.delay_ms !== undefined && rule.delay_ms !== null ? `delay ${rule.delay_ms} ms` : 'drop';
    return h('tr', {},
      h('td', { class: 'mono' }, rule.id), h('td', {}, rule.method), h('td', { class: 'mono' }, rule.path),
      h('td', {}, action), h('td', {}, rule.probability), h('td', {}, rule.count ?? 'unlimited'),
      h('td', {}, rule.fired),
      h('td', {}, h('button', {
        type: 'button', 'aria-label': `Remove ${rule.id}`,
        onclick: async () => {
          const r = await admin('DELETE', `/__admin/faults/${encodeURIComponent(rule.id)}`);
          if (report(r, `Remove ${rule.id}`)) loadFaults();
        },
      }, 'Remove')));
  });
  $('#faults tbody').replaceChildren(...(rows.length ? rows
    : [h('tr', {}, h('td', { colspan: 8 }, 'No rules: every request is answered normally.'))]));
}

/** A request failed in a way a rule may have caused: the rules' counts are read again. */
function faultsChanged() {
  if (current !== 'controls' || faultsTimer !== null) return;
  faultsTimer = setTimeout(() => { faultsTimer = null; loadFaults(); }, 500);
}

$('#fault-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const f = event.target;
  const rule = { method: f.method.value, path: f.path.value.trim() };
  if (f.action.value === 'drop') rule.drop = true;
  else rule[f.action.value] = Number(f.value.value);
  if (f.probability.value.trim()) rule.probability = Number(f.probability.value);
  if (f.count.value.trim()) rule.count = Number(f.count.value);
  const res = await admin('POST', '/__admin/faults', rule);
  if (report(res, 'Add the rule')) loadFaults();
});
$('#faults-clear').addEventListener('click', async () => {
  const res = await admin('DELETE', '/__admin/faults');
  if (report(res, 'Remove every rule')) loadFaults();
});

$('#simulate-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const f = event.target;
  const body = { conversation_id: f.conversation_id.value.trim(), message: f.message.value };
  if (f.contact_id.value.trim()) body.contact_id = f.contact_id.value.trim();
  if (f.delay_ms.value.trim()) body.delay_ms = Number(f.delay_ms.value);
  const res = await admin('POST', '/__admin/simulate/message', body);
  report(res, 'Simulate an incoming message');
});

// ---------------------------------------------------------------------------------------
// Webhooks and their deliveries.

let webhooksTimer = null;

function scheduleWebhooks() {
  if (webhooksTimer === null) webhooksTimer = setTimeout(() => { webhooksTimer = null; loadWebhooks(); }, 500);
}

/** A table of records with every key as a column, and one action per row. */
function drawTable(table, items, action) {
  const fields = items.length ? Object.keys(items[0]) : [];
  $('thead', table).replaceChildren(h('tr', {}, fields.map((f) => h('th', { scope: 'col' }, f)),
    items.length ? h('th', { scope: 'col' }, h('span', { class: 'hidden' }, 'Action')) : null));
  $('tbody', table).replaceChildren(...(items.length
    ? items.map((item) => h('tr', {}, fields.map((f) => h('td', {}, show(item[f]))), h('td', {}, action(item))))
    : [h('tr', {}, h('td', {}, 'None.'))]));
}

let calls = null;
/** Whether this server has an admin call (`GET /__admin/` lists them). */
async function has(path) {
  if (!calls) {
    const res = await admin('GET', '/__admin/');
    calls = new Set(res.ok ? res.json.calls.map((c) => c.path) : []);
  }
  return calls.has(path);
}

async function loadWebhooks() {
  if (!(await has('/__admin/webhooks'))) {
    $('#webhooks tbody').replaceChildren(h('tr', {}, h('td', {}, 'This server has no webhooks.')));
    return;
  }
  const [hooks, deliveries] = await Promise.all([
    admin('GET', '/__admin/webhooks'), admin('GET', '/__admin/webhooks/deliveries')]);
  drawTable($('#webhooks'), hooks.ok ? hooks.json.webhooks : [], (hook) => h('button', {
    type: 'button', 'aria-label': `Remove ${hook.id}`,
    onclick: async () => {
      const r = await admin('DELETE', `/__admin/webhooks/${encodeURIComponent(hook.id)}`);
      if (report(r, `Remove ${hook.id}`)) loadWebhooks();
    },
  }, 'Remove'));
  const list = deliveries.ok ? deliveries.json.deliveries.slice(-200).reverse() : [];
  drawTable($('#deliveries'), list, (d) => h('button', {
    type: 'button', 'aria-label': `Replay ${d.id}`,
    onclick: async () => {
      const r = await admin('POST', `/__admin/webhooks/deliveries/${encodeURIComponent(d.id)}/replay`);
      if (report(r, `Replay ${d.id}`)) scheduleWebhooks();
    },
  }, 'Replay'));
}

$('#webhook-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const f = event.target;
  const body = { url: f.url.value.trim() };
  const kinds = f.events.value.split(/[\s,]+/).filter(Boolean);
  if (kinds.length) body.events = kinds;
  if (f.secret.value.trim()) body.secret = f.secret.value.trim();
  const res = await admin('POST', '/__admin/webhooks', body);
  if (report(res, 'Add the webhook')) {
    f.reset();
    loadWebhooks();
  }
});
$('#deliveries-refresh').addEventListener('click', loadWebhooks);
$('#webhooks-flush').addEventListener('click', async () => {
  const res = await admin('POST', '/__admin/webhooks/flush');
  if (report(res, 'Wait for pending deliveries')) loadWebhooks();
});

// ---------------------------------------------------------------------------------------
// Start.

pick.token.value = 'dashboard';
window.addEventListener('hashchange', showView);
setInterval(() => { drawChart(); if (current === 'controls') drawClock(); }, 1000);
drawChart();
showView();
follow('journal', '/__admin/requests', onJournal, () => {
  journal.length = 0;
  backlogDone = false;
});
follow('events', '/__admin/events', onEvent);
