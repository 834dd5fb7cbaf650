// convmock in a node:test suite. In your project: `npm install --save-dev convmock`, copy this
// file, run `node --test`. Nothing else to set up: the package brings the server.
//
// One server for the file, on a free port, isolated per token (startConvmock's defaults): a
// test that takes a token of its own sees only its own writes. Fault rules, the clock and the
// journal belong to the whole server, so each test also starts from a reset.

import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startConvmock } from 'convmock';

let server;
before(async () => {
  server = await startConvmock();
});
after(() => server.close());
beforeEach(() => server.reset());

// What the app under test would send: a bearer token and form bodies.
async function call(token, method, path, form) {
  const res = await fetch(server.url + path, {
    method,
    headers: { Authorization: `Bearer ${token}` },
    body: form && new URLSearchParams(form),
  });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

test('a created conversation is listed first', async () => {
  const token = server.token();
  const created = await call(token, 'POST', '/v1/conversations', { contact_id: 'WAz8eIbvDR60rouK' });
  assert.equal(created.status, 201);
  const list = await call(token, 'GET', '/v1/conversations?limit=10');
  assert.equal(list.status, 200);
  assert.equal(list.body.data[0].id, created.body.id);
  assert.equal(list.body.data[0].contact_id, 'WAz8eIbvDR60rouK');
});

test('an injected outage, then recovery', async () => {
  const token = server.token();
  await server.addFault({ method: 'GET', path: '/v1/conversations', status: 503, count: 1 });
  assert.equal((await call(token, 'GET', '/v1/conversations')).status, 503);
  assert.equal((await call(token, 'GET', '/v1/conversations')).status, 200);
});

test('what the app sent is in the journal', async () => {
  const token = server.token();
  const updated = await call(token, 'PUT', '/v1/conversations/xgQQXg3hrtjh7AvZ', { is_muted: 'true' });
  assert.equal(updated.body.is_muted, true);
  const [entry, ...more] = await server.journal({ method: 'PUT', path: '/v1/conversations/*' });
  assert.deepEqual(more, []);
  assert.equal(entry.body, 'is_muted=true');
  assert.equal(entry.token, token);
  assert.equal(entry.status, 200);
});

test('a frozen clock dates what is created', async () => {
  const token = server.token();
  await server.clock({ now: 1700000000 });
  const first = await call(token, 'POST', '/v1/conversations', { contact_id: 'WAz8eIbvDR60rouK' });
  assert.equal(first.body.created_at, 1700000000);
  assert.deepEqual(await server.clock({ advance: 60 }), { now: 1700000060, frozen: true });
  const second = await call(token, 'POST', '/v1/conversations', { group_id: 'Gk8nRbT2qLx4VwYe' });
  assert.equal(second.body.created_at, 1700000060);
});

test('queued IDs are the next ones created, in this token\'s workspace', async () => {
  const token = server.token();
  await server.nextIds(['conv-from-my-test'], { token });
  const other = await call(server.token(), 'POST', '/v1/conversations', { contact_id: 'WAz8eIbvDR60rouK' });
  assert.notEqual(other.body.id, 'conv-from-my-test');
  const mine = await call(token, 'POST', '/v1/conversations', { contact_id: 'WAz8eIbvDR60rouK' });
  assert.equal(mine.status, 201);
  assert.equal(mine.body.id, 'conv-from-my-test');
});

test('each token has a workspace of its own', async () => {
  const mine = server.token();
  assert.equal((await call(mine, 'DELETE', '/v1/conversations/hSIhXBhNe8X1d8Et')).status, 204);
  assert.equal((await call(mine, 'GET', '/v1/conversations/hSIhXBhNe8X1d8Et')).status, 404);
  assert.equal((await call(server.token(), 'GET', '/v1/conversations/hSIhXBhNe8X1d8Et')).status, 200);
  const left = await server.conversations({ token: mine });
  assert.ok(!left.some((c) => c.id === 'hSIhXBhNe8X1d8Et'));
});
