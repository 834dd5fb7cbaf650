#!/usr/bin/env node
// The dashboard under load: a steady 2,000 requests per second against the server, first
// with no page open, then with the dashboard open on its journal view in headless Chromium.
// For each run: the requests per second the server answered, their latency, the server's CPU
// time; with the page: the most rows its journal table held, how long a marked request took
// to show in it, how long switching views took, and the page's longest main-thread task.
// Then the same with the load as fast as one connection set can go (wrk), with and without
// the page, for the server's top rate.
//
//   node scripts/dashboard_load.mjs [BINARY] [SECONDS] [RATE]
//       defaults: target/release/convmock 20 2000
//   env: CHROMIUM (default /usr/bin/chromium), PLAYWRIGHT_CORE (the playwright-core folder,
//        default target/ci-node/node_modules/playwright-core); wrk on PATH for the top rate
//
// The server and the load run on 127.0.0.1 on the same machine as the browser: on a small
// shared machine the three compete for the cores, which the figures include. Only the
// server this script started is stopped, by its PID.
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const binary = process.argv[2] ?? path.join(root, 'target/release/convmock');
const seconds = Number(process.argv[3] ?? 20);
const rate = Number(process.argv[4] ?? 2000);
const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PLAYWRIGHT_CORE
  ?? path.join(root, 'target/ci-node/node_modules/playwright-core'));
const TOKEN = 'load-token';
const TARGET = '/v1/conversations/xgQQXg3hrtjh7AvZ';

function start() {
  const child = spawn(binary, ['--port', '0', '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => {
      resolve({ child, url: line.replace(/^listening on /, '') });
    });
    child.once('exit', (code) => reject(new Error(`convmock exited with ${code}`)));
  });
}

/** The CPU seconds (user + system) a process has used so far. */
function cpu(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** `rate` requests a second for `secs` seconds, sent on schedule whatever the answers do. */
async function steady(url, secs, onTick) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const { hostname, port } = new URL(url);
  const latencies = [];
  let errors = 0;
  let answered = 0;
  const started = performance.now();
  const end = started + secs * 1000;
  let sent = 0;
  const pending = new Set();
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (; sent < due; sent++) {
      const t0 = performance.now();
      const p = new Promise((done) => {
        const req = http.request({ hostname, port, path: TARGET, agent,
          headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) answered++; else errors++;
            latencies.push(performance.now() - t0);
            done();
          });
        });
        req.on('error', () => { errors++; done(); });
        req.end();
      });
      pending.add(p);
      p.then(() => pending.delete(p));
    }
    if (onTick) onTick();
    await new Promise((done) => setTimeout(done, 5));
  }
  await Promise.all(pending);
  const took = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { perSecond: answered / took, errors, p50: at(0.5), p99: at(0.99) };
}

async function measure(withPage, browser) {
  const server = await start();
  let page = null;
  const pageFacts = { maxRows: 0, appear: [], switches: [], longest: 0 };
  try {
    if (withPage) {
      page = await browser.newPage();
      await page.addInitScript(() => {
        window.longest = 0;
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) window.longest = Math.max(window.longest, e.duration);
        }).observe({ type: 'longtask', buffered: true });
      });
      await page.goto(`${server.url}/__admin/ui#requests`);
      await page.locator('#live', { hasText: 'journal: live' }).waitFor({ timeout: 30000 });
      // The newest 100 rows turn over every 50 ms at this rate: the probes are found the way
      // a developer finds their request, with the path filter.
      await page.fill('#journal-filters input[name="path"]', 'probe=');
    }
    const cpu0 = cpu(server.child.pid);
    let probing = false;
    let probes = 0;
    const probe = async () => {
      // A marked request; the time until its row is in the table.
      probing = true;
      const mark = `probe=${probes++}`;
      const t0 = performance.now();
      await fetch(`${server.url}/v1/conversations?${mark}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      await page.locator('#journal tbody tr', { hasText: mark }).first().waitFor({ timeout: 30000 });
      pageFacts.appear.push(performance.now() - t0);
      await page.fill('#journal-filters input[name="path"]', '');
      await page.waitForTimeout(300);
      const rows = await page.locator('#journal tbody tr').count();
      pageFacts.maxRows = Math.max(pageFacts.maxRows, rows);
      await page.fill('#journal-filters input[name="path"]', 'probe=');
      const s0 = performance.now();
      await page.click('nav a[data-view="controls"]');
      await page.locator('#view-controls').waitFor({ state: 'visible' });
      await page.click('nav a[data-view="requests"]');
      await page.locator('#view-requests').waitFor({ state: 'visible' });
      pageFacts.switches.push(performance.now() - s0);
      probing = false;
    };
    let lastProbe = performance.now();
    const load = await steady(server.url, seconds, () => {
      if (page && !probing && performance.now() - lastProbe > 2000) {
        lastProbe = performance.now();
        probe().catch((e) => { console.error(e); probing = false; });
      }
    });
    const used = cpu(server.child.pid) - cpu0;
    if (page) pageFacts.longest = await page.evaluate(() => window.longest);
    return { ...load, cpuPercent: (used / seconds) * 100, page: withPage ? pageFacts : null };
  } finally {
    await page?.close();
    server.child.kill('SIGTERM');
  }
}

/** wrk at full speed for `secs` seconds, with or without the page: requests per second. */
async function top(withPage, browser) {
  const server = await start();
  let page = null;
  try {
    if (withPage) {
      page = await browser.newPage();
      await page.goto(`${server.url}/__admin/ui#requests`);
      await page.locator('#live', { hasText: 'journal: live' }).waitFor({ timeout: 30000 });
    }
    const out = execFileSync('wrk', ['-t', '1', '-c', '16', '-d', `${Math.min(seconds, 10)}s`,
      '-H', `Authorization: Bearer ${TOKEN}`, server.url + TARGET], { encoding: 'utf8' });
    const rows = page ? await page.locator('#journal tbody tr').count() : null;
    return { perSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]), rows };
  } finally {
    await page?.close();
    server.child.kill('SIGTERM');
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking'],
});
try {
  const results = [];
  // Alternated, so that a neighbour's burst on the shared machine hits both kinds of run.
  for (const withPage of [false, true, false, true]) results.push([withPage, await measure(withPage, browser)]);
  console.log(`steady load: ${rate} req/s offered for ${seconds} s, ${binary}`);
  for (const [withPage, r] of results) {
    const p = r.page;
    console.log(`${withPage ? 'page open ' : 'no page   '} answered ${r.perSecond.toFixed(0)} req/s, `
      + `errors ${r.errors}, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, `
      + `server CPU ${r.cpuPercent.toFixed(1)}%`
      + (p ? `; rows at most ${p.maxRows}, a request shows in the table after `
        + `${median(p.appear).toFixed(0)} ms (median of ${p.appear.length}, max ${Math.max(...p.appear).toFixed(0)}), `
        + `view switches ${median(p.switches).toFixed(0)} ms, longest task ${p.longest.toFixed(0)} ms` : ''));
  }
  const tops = [];
  for (const withPage of [false, true, false, true]) tops.push([withPage, await top(withPage, browser)]);
  for (const [withPage, r] of tops) {
    console.log(`top rate (wrk, 16 connections) ${withPage ? 'page open' : 'no page  '}: `
      + `${r.perSecond.toFixed(0)} req/s${r.rows === null ? '' : `, ${r.rows} rows in the table`}`);
  }
} finally {
  await browser.close();
}
