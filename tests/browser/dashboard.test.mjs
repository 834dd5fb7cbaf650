// The dashboard (/__admin/ui) in real headless Chromium: it loads only from the server
// that serves it, shows requests live, and changes data, faults, the clock and the whole
// server the way a developer would, with the mouse and keyboard.
//
// Needs CHROMIUM (Debian's chromium) and PLAYWRIGHT_CORE (the playwright-core package's
// folder); .ci/run installs both. DASHBOARD_SCREENSHOT=path saves the screenshot the README
// shows (scripts/dashboard_screenshot.sh).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { startConvmock } from '../clients/convmock.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PLAYWRIGHT_CORE ?? 'playwright-core');
const run = promisify(execFile);
const TOKEN = 'app-token';
const CONVERSATION = 'xgQQXg3hrtjh7AvZ';
const MARKUP = '<img src=x onerror=alert(1)>';
// Waits in this file bound how long a broken page takes to fail, not how fast a working one
// is: the machine is shared. BENCHMARKS.md has the timings.
const PATIENCE = 15000;

let server;
let browser;

async function call(method, path, body, headers = {}) {
  const res = await fetch(server.url + path, {
    method,
    headers: {
      Authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** The dashboard at `view`, with what it requested, logged and opened as a dialog. */
async function open(view = 'requests', url = server.url) {
  const page = await browser.newPage();
  const seen = { urls: [], problems: [], dialogs: [] };
  page.on('request', (r) => seen.urls.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') seen.problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => seen.problems.push(`pageerror: ${e.message}`));
  page.on('dialog', async (d) => {
    seen.dialogs.push(d.message());
    await d.dismiss();
  });
  await page.goto(`${url}/__admin/ui#${view}`);
  await page.locator('#live', { hasText: 'journal: live' }).waitFor({ timeout: PATIENCE });
  return { page, seen };
}

before(async () => {
  server = await startConvmock();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking'],
  });
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test('the page loads with no request leaving 127.0.0.1 and no console error', async () => {
  await call('POST', '/__admin/reset');
  const { page, seen } = await open();
  await page.locator('#live', { hasText: 'events: live' }).waitFor({ timeout: PATIENCE });
  for (const view of ['data', 'controls', 'webhooks', 'requests']) {
    await page.click(`nav a[data-view="${view}"]`);
    await page.locator(`[data-view-panel="${view}"]`).waitFor({ state: 'visible' });
  }
  await page.close();
  assert.deepEqual(seen.problems, []);
  assert.ok(seen.urls.length > 3, seen.urls.join(' '));
  for (const url of seen.urls) assert.equal(new URL(url).hostname, '127.0.0.1', url);
});

test('a request made by curl appears in the journal view, with its details and as curl', async () => {
  const { page, seen } = await open();
  await run('curl', ['-s', '-o', '/dev/null', '-X', 'PUT', '-H', `Authorization: Bearer ${TOKEN}`,
    '-d', 'is_pinned=true', `${server.url}/v1/conversations/${CONVERSATION}?from=curl`]);
  const row = page.locator('#journal tbody tr', { hasText: 'from=curl' });
  await row.waitFor({ timeout: PATIENCE });
  assert.match(await row.innerText(), /PUT[\s\S]*200[\s\S]*app-token/);
  await row.getByRole('button').click();
  assert.equal(await page.locator('#request-body').innerText(), 'is_pinned=true');
  const curl = await page.locator('#curl').innerText();
  assert.equal(curl, `curl -X PUT '${server.url}/v1/conversations/${CONVERSATION}?from=curl' `
    + `-H 'Authorization: Bearer ${TOKEN}' -H 'Content-Type: application/x-www-form-urlencoded' `
    + "--data-raw 'is_pinned=true'");
  // The event it emitted, from the event stream.
  await page.locator('#request-events', { hasText: 'conversation.updated' }).waitFor({ timeout: PATIENCE });

  // A refused request says why, and the filters find it.
  await call('GET', '/v1/conversations/no-such-one');
  await page.selectOption('#journal-filters select[name="status"]', '4');
  const refused = page.locator('#journal tbody tr', { hasText: 'no-such-one' });
  await refused.waitFor({ timeout: PATIENCE });
  assert.match(await refused.innerText(), /404[\s\S]*No such conversation/);
  assert.equal(await page.locator('#journal tbody tr', { hasText: 'from=curl' }).count(), 0);
  await page.close();
  assert.deepEqual(seen.problems, []);
});

test('copy as curl quotes a method the shell would otherwise run', async () => {
  // A method of backticks and $ (HTTP allows them, and the journal keeps what was sent),
  // sent as a raw client could, before the page opens: this test is about the copy, not
  // about the live view (the test above is). The socket stays open for the answer, as an
  // HTTP client's does (docs/decisions.md: a client that shuts its sending side has left).
  const method = "`touch$IFS'PWNED'`";
  const net = await import('node:net');
  const answer = await new Promise((resolve, reject) => {
    const { hostname, port } = new URL(server.url);
    let got = '';
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(`${method} /v1/conversations?from=raw HTTP/1.1\r\nHost: ${hostname}:${port}\r\n`
        + `Authorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (chunk) => { got += chunk; });
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
  });
  assert.match(answer, /^HTTP\/1\.1 405 /);
  const { page, seen } = await open();
  const row = page.locator('#journal tbody tr', { hasText: 'from=raw' });
  await row.waitFor({ timeout: PATIENCE });
  await row.getByRole('button').click();
  const curl = await page.locator('#curl').innerText();
  // The shell reads the method as one word, as written, and runs nothing.
  const { stdout } = await run('bash', ['-c', curl.replace(/^curl /, "printf '%s\\n' ")]);
  assert.equal(stdout.split('\n')[1], method);
  await page.close();
  assert.deepEqual(seen.problems, []);
});

test('a request filtered for stays in the table while a thousand others come after it', async () => {
  const { page, seen } = await open();
  await page.fill('#journal-filters input[name="path"]', 'needle');
  await call('GET', '/v1/conversations?needle=first');
  const first = page.locator('#journal tbody tr', { hasText: 'needle=first' });
  await first.waitFor({ timeout: PATIENCE });
  // More requests than the page keeps (1,000), in parallel batches as a busy app sends them.
  for (let batch = 0; batch < 15; batch++) {
    await Promise.all(Array.from({ length: 100 }, (_, i) => call('GET', `/v1/conversations?hay=${batch * 100 + i}`)));
  }
  // The stream carries entries in order: once this one shows, the page has taken the rest.
  await call('GET', '/v1/conversations?needle=last');
  await page.locator('#journal tbody tr', { hasText: 'needle=last' }).waitFor({ timeout: PATIENCE });
  assert.equal(await first.count(), 1);
  await page.close();
  assert.deepEqual(seen.problems, []);
});

test('editing is_muted in the data view changes what the API answers', async () => {
  await call('POST', '/__admin/reset');
  const before = (await call('GET', `/v1/conversations/${CONVERSATION}`)).json.is_muted;
  const { page } = await open('data');
  await page.getByRole('button', { name: `Edit ${CONVERSATION}` }).click();
  await page.locator('#edit-form input[name="is_muted"]').setChecked(!before);
  await page.locator('#edit-form').getByRole('button', { name: 'Save' }).click();
  await page.locator('#notice', { hasText: `Update ${CONVERSATION}: 200` }).waitFor({ timeout: PATIENCE });
  assert.equal((await call('GET', `/v1/conversations/${CONVERSATION}`)).json.is_muted, !before);

  // Its messages, through the link, in list order; a change made elsewhere shows up live.
  await page.locator('#records tr', { hasText: CONVERSATION }).getByRole('button', { name: 'its messages' }).first().click();
  await page.locator('#data-filter', { hasText: `conversation_id = ${CONVERSATION}` }).waitFor();
  const made = await call('POST', '/v1/messages', { conversation_id: CONVERSATION, message: 'made elsewhere' });
  assert.equal(made.status, 201);
  await page.locator('#records tbody tr', { hasText: 'made elsewhere' }).waitFor({ timeout: PATIENCE });
  await page.close();
});

test('a message text of markup renders as text', async () => {
  await call('POST', '/__admin/reset');
  const made = await call('POST', '/v1/messages', { conversation_id: CONVERSATION, message: MARKUP });
  assert.equal(made.status, 201);
  const { page, seen } = await open('data');
  await page.getByRole('button', { name: 'messages', exact: true }).click();
  const cell = page.locator('#records td', { hasText: MARKUP });
  await cell.waitFor({ timeout: PATIENCE });
  assert.equal(await cell.innerText(), MARKUP);
  assert.equal(await page.locator('#records img, #journal img').count(), 0);
  // And in the journal, where the request that sent it is shown.
  await page.click('nav a[data-view="requests"]');
  await page.locator('#journal tbody tr', { hasText: 'POST' }).first().getByRole('button').click();
  assert.match(await page.locator('#request-body').innerText(), /onerror=alert\(1\)/);
  assert.equal(await page.locator('main img').count(), 0);
  await page.close();
  assert.deepEqual(seen.dialogs, []);
  assert.deepEqual(seen.problems, []);
});

test('a 503 fault added from the page makes the next API call 503, and can be removed', async () => {
  await call('POST', '/__admin/reset');
  const { page } = await open('controls');
  const form = page.locator('#fault-form');
  await form.locator('input[name="path"]').fill('/v1/conversations/*');
  await form.locator('select[name="action"]').selectOption('status');
  await form.locator('input[name="value"]').fill('503');
  await form.getByRole('button', { name: 'Add the rule' }).click();
  const rule = page.locator('#faults tbody tr', { hasText: 'status 503' });
  await rule.waitFor({ timeout: PATIENCE });
  assert.equal((await call('GET', `/v1/conversations/${CONVERSATION}`)).status, 503);
  // It shows that it fired, without a reload.
  await rule.locator('td:nth-child(7)', { hasText: '1' }).waitFor({ timeout: PATIENCE });
  await rule.getByRole('button', { name: /^Remove/ }).click();
  await page.locator('#faults tbody', { hasText: 'No rules' }).waitFor({ timeout: PATIENCE });
  assert.equal((await call('GET', `/v1/conversations/${CONVERSATION}`)).status, 200);
  await page.close();
});

test('the reset and clock controls work', async () => {
  await call('POST', '/__admin/reset');
  const made = await call('POST', '/v1/conversations', { contact_id: 'someone-new' });
  assert.equal(made.status, 201);
  const { page } = await open('controls');
  await page.getByRole('button', { name: 'Reset the server' }).click();
  await page.locator('#notice', { hasText: 'Reset: 200' }).waitFor({ timeout: PATIENCE });
  assert.equal((await call('GET', `/v1/conversations/${made.json.id}`)).status, 404);

  await page.locator('#clock-freeze input[name="now"]').fill('1700000000');
  await page.locator('#clock-freeze').getByRole('button', { name: 'Freeze' }).click();
  await page.locator('#clock-now', { hasText: '1700000000' }).waitFor({ timeout: PATIENCE });
  assert.deepEqual((await call('GET', '/__admin/clock')).json, { now: 1700000000, frozen: true });
  await page.locator('#clock-advance input[name="advance"]').fill('3600');
  await page.locator('#clock-advance').getByRole('button', { name: 'Advance' }).click();
  await page.locator('#clock-now', { hasText: '1700003600' }).waitFor({ timeout: PATIENCE });
  assert.deepEqual((await call('GET', '/__admin/clock')).json, { now: 1700003600, frozen: true });
  await page.getByRole('button', { name: 'Follow the system clock' }).click();
  await page.locator('#clock-now', { hasText: 'following the system clock' }).waitFor({ timeout: PATIENCE });
  assert.equal((await call('GET', '/__admin/clock')).json.frozen, false);

  // The next IDs, for the workspace of the data view's token.
  await page.locator('#ids-form input[name="ids"]').fill('chosen-id');
  await page.locator('#ids-form').getByRole('button', { name: 'Queue' }).click();
  await page.locator('#ids-queue', { hasText: 'chosen-id' }).waitFor({ timeout: PATIENCE });
  assert.equal((await call('POST', '/v1/conversations', { contact_id: 'x' })).json.id, 'chosen-id');
  await page.close();
});

test('webhooks are added, their deliveries shown and replayed, and a message simulated', async () => {
  await call('POST', '/__admin/reset');
  const received = [];
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => { received.push(req.headers['x-protocol-signature']); res.end('ok'); });
  });
  await new Promise((done) => receiver.listen(0, '127.0.0.1', done));
  try {
    const { page, seen } = await open('webhooks');
    await page.fill('#webhook-form input[name="url"]', `http://127.0.0.1:${receiver.address().port}/hook`);
    await page.fill('#webhook-form input[name="events"]', 'message.created');
    await page.locator('#webhook-form').getByRole('button', { name: 'Add the webhook' }).click();
    await page.locator('#webhooks tbody tr', { hasText: '/hook' }).waitFor({ timeout: PATIENCE });

    await page.click('nav a[data-view="controls"]');
    const form = page.locator('#simulate-form');
    await form.locator('input[name="conversation_id"]').fill(CONVERSATION);
    await form.locator('input[name="message"]').fill('hello from the other side');
    await form.getByRole('button', { name: 'Send' }).click();
    await page.locator('#notice', { hasText: 'Simulate an incoming message: 201' }).waitFor({ timeout: PATIENCE });
    const listed = await call('GET', `/v1/messages?conversation_id=${CONVERSATION}&limit=1`);
    assert.equal(listed.json.data[0].message, 'hello from the other side');

    await page.click('nav a[data-view="webhooks"]');
    const delivery = page.locator('#deliveries tbody tr', { hasText: 'delivered' });
    await delivery.waitFor({ timeout: PATIENCE });
    await delivery.first().getByRole('button', { name: /^Replay/ }).click();
    await page.locator('#notice', { hasText: /Replay .*: 202/ }).waitFor({ timeout: PATIENCE });
    assert.equal((await call('POST', '/__admin/webhooks/flush')).status, 200);
    assert.equal(received.length, 2);
    await page.close();
    assert.deepEqual(seen.problems, []);
  } finally {
    receiver.close();
  }
});

test('the page works from the keyboard and in a narrow window', async () => {
  const { page } = await open();
  await page.setViewportSize({ width: 360, height: 740 });
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.locator('[data-view-panel="data"]').waitFor({ state: 'visible' });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the window`);
  await page.close();
});

test('behind --admin-token the page asks once and keeps the token out of every URL', async () => {
  const guarded = await startConvmock('--admin-token', 'admin-secret');
  try {
    const page = await browser.newPage();
    const urls = [];
    page.on('request', (r) => urls.push(r.url()));
    await page.goto(`${guarded.url}/__admin/ui`);
    await page.locator('#login').waitFor({ state: 'visible', timeout: PATIENCE });
    await page.fill('#login input[name="token"]', 'admin-secret');
    await page.keyboard.press('Enter');
    await page.locator('#live', { hasText: 'journal: live' }).waitFor({ timeout: PATIENCE });
    await fetch(`${guarded.url}/v1/conversations?after=login`, { headers: { Authorization: 'Bearer t' } });
    await page.locator('#journal tbody tr', { hasText: 'after=login' }).waitFor({ timeout: PATIENCE });
    assert.ok(urls.every((u) => !u.includes('admin-secret')), urls.join(' '));
    await page.close();
  } finally {
    guarded.stop();
  }
});

test('the screenshot for the README', { skip: !process.env.DASHBOARD_SCREENSHOT }, async () => {
  await call('POST', '/__admin/reset');
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(`${server.url}/__admin/ui#requests`);
  await page.locator('#live', { hasText: 'journal: live' }).waitFor({ timeout: PATIENCE });
  for (let i = 0; i < 40; i++) {
    await call('GET', `/v1/conversations?limit=${1 + (i % 5)}`);
    if (i % 7 === 0) await call('GET', '/v1/conversations/missing');
    if (i % 9 === 0) await call('PUT', `/v1/conversations/${CONVERSATION}`, { is_muted: i % 2 === 0 });
    await new Promise((done) => setTimeout(done, 60));
  }
  await page.locator('#journal tbody tr', { hasText: 'PUT' }).first().getByRole('button').click();
  await page.locator('#request-events', { hasText: 'conversation.updated' }).waitFor({ timeout: PATIENCE });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT, fullPage: true });
  await page.close();
});
