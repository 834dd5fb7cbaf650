// Hostile pages in real headless Chromium: a page on another port of 127.0.0.1, and a
// DNS-rebinding page whose name resolves to 127.0.0.1, try every way a page has to drive
// the admin API. None may read or change anything; the emulated API stays usable.
//
// Needs CHROMIUM (Debian's chromium) and PLAYWRIGHT_CORE (the playwright-core package's
// folder); .ci/run installs both.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';
import { startConvmock } from '../clients/convmock.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PLAYWRIGHT_CORE ?? 'playwright-core');
const SECRET = 'secret-token-of-the-test-suite';

let server;
let pages;
let browser;

// What the attacking page runs: each attempt's outcome, as the page could see it.
const ATTACKS = `
async function attempt(name, run) {
  try { return [name, await run()]; } catch (e) { return [name, 'failed: ' + e.name]; }
}
window.attack = async (target) => {
  const text = (r) => r.type === 'opaque' ? 'opaque' : r.text().then((t) => r.status + ' ' + t);
  const results = await Promise.all([
    attempt('no-cors reset', () => fetch(target + '/__admin/reset', { method: 'POST', mode: 'no-cors' }).then(text)),
    attempt('no-cors text/plain fault', () => fetch(target + '/__admin/faults', {
      method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify({ path: '/*', drop: true }) }).then(text)),
    attempt('no-cors clock', () => fetch(target + '/__admin/clock', {
      method: 'PUT', mode: 'no-cors', body: '{"now": 1}' }).then(text)),
    attempt('no-cors clear journal', () => fetch(target + '/__admin/requests', { method: 'DELETE', mode: 'no-cors' }).then(text)),
    attempt('read journal', () => fetch(target + '/__admin/requests').then(text)),
    attempt('read data', () => fetch(target + '/__admin/conversations').then(text)),
    attempt('json fault', () => fetch(target + '/__admin/faults', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ path: '/*', status: 503 }) }).then(text)),
  ]);
  // A form post, the oldest way across origins.
  await new Promise((done) => {
    const frame = document.createElement('iframe');
    frame.name = 'sink';
    frame.onload = () => done();
    document.body.append(frame);
    const form = document.createElement('form');
    form.method = 'POST';
    form.enctype = 'text/plain';
    form.action = target + '/__admin/faults';
    form.target = 'sink';
    const field = document.createElement('input');
    field.name = '{"path": "/*", "status": 503, "x": "';
    field.value = '"}';
    form.append(field);
    document.body.append(form);
    form.submit();
  });
  results.push(await attempt('api from the page', () => fetch(target + '/v1/conversations?limit=1', {
    headers: { Authorization: 'Bearer page-token' } }).then(text)));
  return Object.fromEntries(results);
};`;

async function admin(path) {
  const res = await fetch(server.url + path);
  return res.text();
}

async function state() {
  return {
    data: await admin('/__admin/conversations'),
    faults: await admin('/__admin/faults'),
    clock: JSON.parse(await admin('/__admin/clock')).frozen,
    journal: JSON.parse(await admin('/__admin/requests')).requests,
  };
}

// Each test starts from the fixtures plus one conversation the suite made with its token.
async function seed() {
  assert.equal((await fetch(server.url + '/__admin/reset', { method: 'POST' })).status, 200);
  const created = await fetch(server.url + '/v1/conversations', {
    method: 'POST',
    headers: { Authorization: `Bearer ${SECRET}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ contact_id: 'from-the-suite' }),
  });
  assert.equal(created.status, 201);
}

before(async () => {
  server = await startConvmock();
  pages = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end(`<!doctype html><title>elsewhere</title><script>${ATTACKS}</script>`);
  });
  await new Promise((done) => pages.listen(0, '127.0.0.1', done));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      // Chromium's own guard against public pages reaching loopback is off, as in the
      // browsers that have none: this test is about what convmock itself refuses.
      '--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights',
      `--host-resolver-rules=MAP rebound.test 127.0.0.1`,
    ],
  });
});

after(async () => {
  await browser?.close();
  pages?.close();
  server?.stop();
});

function hostsOf(page) {
  const hosts = new Set();
  page.on('request', (r) => hosts.add(new URL(r.url()).hostname));
  return hosts;
}

test('a page on another local port can neither read nor change anything', async () => {
  await seed();
  const before = await state();
  const page = await browser.newPage();
  const hosts = hostsOf(page);
  await page.goto(`http://127.0.0.1:${pages.address().port}/`);
  const results = await page.evaluate((target) => window.attack(target), server.url);
  await page.close();

  for (const [name, outcome] of Object.entries(results)) {
    assert.ok(!outcome.includes(SECRET), `${name} leaked the token: ${outcome}`);
    if (name === 'api from the page') {
      assert.match(outcome, /^200 /, 'the emulated API still works from the page');
    } else {
      assert.ok(outcome === 'opaque' || outcome.startsWith('failed'), `${name}: ${outcome}`);
    }
  }
  const after = await state();
  assert.equal(after.data, before.data);
  assert.equal(after.faults, before.faults);
  assert.equal(after.clock, before.clock);
  // The journal still holds everything it held, plus the page's API call (and its preflight).
  assert.deepEqual(after.journal.slice(0, before.journal.length), before.journal);
  assert.deepEqual(
    after.journal.slice(before.journal.length).map((e) => `${e.method} ${e.path}`),
    ['OPTIONS /v1/conversations', 'GET /v1/conversations'],
  );
  assert.deepEqual([...hosts].sort(), ['127.0.0.1']);
});

test('a DNS-rebinding page is refused by the admin API', async () => {
  await seed();
  const before = await state();
  const port = new URL(server.url).port;
  const origin = `http://rebound.test:${port}`;
  const page = await browser.newPage();
  // The attacker's page as first served from its own name; every later request to that
  // name reaches convmock on 127.0.0.1, as after a DNS rebinding.
  await page.route(`${origin}/`, (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><title>rebound</title><script>${ATTACKS}</script>`,
  }));
  await page.goto(`${origin}/`);
  await page.unroute(`${origin}/`);
  const results = await page.evaluate((target) => window.attack(target), origin);
  await page.close();

  for (const [name, outcome] of Object.entries(results)) {
    assert.ok(!outcome.includes(SECRET), `${name} leaked the token: ${outcome}`);
    if (name !== 'api from the page' && outcome !== 'opaque' && !outcome.startsWith('failed')) {
      // Same-origin from the page's view, so it reads the answer: the refusal.
      assert.match(outcome, /^403 /, `${name}: ${outcome}`);
    }
  }
  // The page did reach convmock (the browser let it through), and was refused there.
  assert.ok(Object.values(results).some((o) => o.startsWith('403 ')), JSON.stringify(results));
  const after = await state();
  assert.equal(after.data, before.data);
  assert.equal(after.faults, before.faults);
  assert.deepEqual(after.journal.slice(0, before.journal.length), before.journal);
});
