// The live event stream in real headless Chromium, read with the browser's own EventSource:
// a page of convmock's own origin gets each change as it happens; a page on another origin
// cannot open the stream.
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

let server;
let pages;
let browser;

before(async () => {
  server = await startConvmock();
  pages = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end('<!doctype html><title>elsewhere</title>');
  });
  await new Promise((done) => pages.listen(0, '127.0.0.1', done));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      // As in admin_from_pages: what is refused here is refused by convmock itself.
      '--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights',
    ],
  });
});

after(async () => {
  await browser?.close();
  pages?.close();
  server?.stop();
});

test('a page of the server\'s own origin gets a change through EventSource as it happens', async (t) => {
  const page = await browser.newPage();
  // convmock serves no HTML page: any of its own URLs gives the page its origin.
  await page.goto(`${server.url}/__admin/health`);
  const seen = await page.evaluate(async () => {
    const source = new EventSource('/__admin/events?type=conversation.created');
    await new Promise((opened, failed) => {
      source.onopen = opened;
      source.onerror = () => failed(new Error('the stream did not open'));
    });
    const arrived = new Promise((got) => {
      source.addEventListener('conversation.created', (e) => got([performance.now(), e]));
    });
    const sent = performance.now();
    const created = await fetch('/v1/conversations', {
      method: 'POST',
      headers: { Authorization: 'Bearer page-token', 'Content-Type': 'application/json' },
      body: JSON.stringify({ contact_id: 'from-the-page' }),
    }).then((r) => r.json());
    const [at, event] = await arrived;
    source.close();
    return {
      ms: at - sent,
      lastEventId: event.lastEventId,
      data: JSON.parse(event.data),
      created,
    };
  });
  await page.close();
  t.diagnostic(`change to EventSource in the page: ${seen.ms.toFixed(1)} ms`);
  assert.equal(seen.data.type, 'conversation.created');
  assert.deepEqual(seen.data.payload, seen.created);
  assert.equal(seen.lastEventId, seen.data.id);
  // A generous bound only: the figure goes to BENCHMARKS.md, not into an assertion.
  assert.ok(seen.ms < 5000, `${seen.ms} ms`);
});

test('a page on another origin cannot read the stream', async () => {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${pages.address().port}/`);
  const outcome = await page.evaluate(async (target) => {
    const source = new EventSource(`${target}/__admin/events`);
    const events = [];
    source.onmessage = (e) => events.push(e.data);
    source.addEventListener('conversation.created', (e) => events.push(e.data));
    const opened = await new Promise((settled) => {
      source.onopen = () => settled(true);
      source.onerror = () => settled(false);
    });
    // A change the page would see if it could read the stream.
    await fetch(`${target}/v1/conversations`, {
      method: 'POST',
      headers: { Authorization: 'Bearer page-token', 'Content-Type': 'application/json' },
      body: JSON.stringify({ contact_id: 'seen-by-no-one' }),
    });
    const streamed = await fetch(`${target}/__admin/events`, {
      headers: { Accept: 'text/event-stream' },
    }).then((r) => `read ${r.status}`, (e) => `failed: ${e.name}`);
    await new Promise((done) => setTimeout(done, 200));
    const state = source.readyState;
    source.close();
    return { opened, state, events, streamed };
  }, server.url);
  await page.close();
  assert.equal(outcome.opened, false);
  assert.equal(outcome.state, 2, 'EventSource.CLOSED: no reconnection either');
  assert.deepEqual(outcome.events, []);
  assert.equal(outcome.streamed, 'failed: TypeError');
});
