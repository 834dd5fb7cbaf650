// A node:test suite that runs convmock as a child process: no npm dependencies.
//
// The server starts once on a free port (read from its ready line) with --isolate, so every
// test uses a bearer token of its own; each test also resets the server first.
// Run: node --test examples/node/   (CONVMOCK_BIN overrides where the binary is looked for)

import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const checkout = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// The most recently built of the checkout's binaries.
const binary = process.env.CONVMOCK_BIN
  ?? ['release', 'debug']
    .map((p) => path.join(checkout, 'target', p, 'convmock'))
    .filter(existsSync)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];

let server;
let base;

before(async () => {
  assert.ok(binary, 'build convmock first (cargo build --release) or set CONVMOCK_BIN');
  server = spawn(binary, ['--port', '0', '--isolate', '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: server.stdout });
  const [ready] = await new Promise((resolve) => lines.once('line', (l) => resolve([l])));
  assert.match(ready, /^listening on http:\/\//);
  base = ready.split(' ').pop();
});

after(async () => {
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  assert.equal(await exited, 0);
});

beforeEach(async () => {
  assert.equal((await fetch(`${base}/__admin/reset`, { method: 'POST' })).status, 200);
});

const token = () => `test-${randomUUID()}`;
const call = (method, url, tok, form) => fetch(base + url, {
  method,
  headers: { Authorization: `Bearer ${tok}` },
  body: form ? new URLSearchParams(form) : undefined,
});

test('the documented conversation is listed first', async () => {
  const res = await call('GET', '/external/conversations?limit=10', token());
  assert.equal(res.status, 200);
  const page = await res.json();
  assert.equal(page.has_more, false);
  assert.equal(page.data[0].id, 'xgQQXg3hrtjh7AvZ');
});

test('an update is partial and shows in the journal', async () => {
  const tok = token();
  const res = await call('PUT', '/v1/conversations/xgQQXg3hrtjh7AvZ', tok, { is_muted: 'true' });
  const body = await res.json();
  assert.equal(body.is_muted, true);
  assert.equal(body.is_pinned, false);
  const journal = await (await fetch(`${base}/__admin/requests?method=PUT`)).json();
  assert.equal(journal.requests.length, 1);
  assert.equal(journal.requests[0].body, 'is_muted=true');
  assert.equal(journal.requests[0].token, tok);
});

test('a dropped connection is seen as a network error', async () => {
  const rule = await fetch(`${base}/__admin/faults`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ method: 'GET', path: '/v1/conversations/*', drop: true, count: 1 }),
  });
  assert.equal(rule.status, 201);
  await assert.rejects(call('GET', '/v1/conversations/xgQQXg3hrtjh7AvZ', token()));
  assert.equal((await call('GET', '/v1/conversations/xgQQXg3hrtjh7AvZ', token())).status, 200);
});

test('workspaces are isolated by token', async () => {
  const mine = token();
  assert.equal((await call('DELETE', '/v1/conversations/hSIhXBhNe8X1d8Et', mine)).status, 204);
  assert.equal((await call('GET', '/v1/conversations/hSIhXBhNe8X1d8Et', mine)).status, 404);
  assert.equal((await call('GET', '/v1/conversations/hSIhXBhNe8X1d8Et', token())).status, 200);
});
