// events(), startReceiver(), flush() and the other participant, against the executable named
// by CONVMOCK_BINARY.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import net from 'node:net';
import { startConvmock } from '../convmock/index.mjs';
import { builtBinary } from './support.mjs';

builtBinary();

const DOCUMENTED = 'xgQQXg3hrtjh7AvZ';
const CONTACT_TYPES = [
  'contact.created',
  'conversation.created',
  'message.created',
  'conversation.updated',
  'contact.deleted',
  'conversation.deleted',
  'message.deleted',
];

/** Starts a server for one test and closes it after. */
async function start(t, options) {
  const server = await startConvmock(options);
  t.after(() => server.close());
  return server;
}

/** A JSON call as `token`; resolves to { status, body }. */
async function call(server, token, method, path, body) {
  const res = await fetch(server.url + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** A contact (with its conversation) created, written to, deleted: seven events. */
async function contactLife(server, token) {
  const contact = await call(server, token, 'POST', '/v1/contacts', { username: 'Kevin', phone_number: '1' });
  assert.equal(contact.status, 201);
  const { conversation_id } = contact.body;
  assert.equal((await call(server, token, 'POST', '/v1/messages', { conversation_id, message: 'Hi' })).status, 201);
  assert.equal((await call(server, token, 'DELETE', `/v1/contacts/${contact.body.id}`)).status, 204);
  return contact.body;
}

test('a change reaches the receiver, signed, in order, and events() lists it', async (t) => {
  const server = await start(t);
  const token = server.token();
  const receiver = await server.startReceiver({ token });
  t.after(() => receiver.close());
  assert.match(receiver.url, /^http:\/\/127\.0\.0\.1:\d+\/hook$/);
  const contact = await contactLife(server, token);
  const counts = await server.flush();
  assert.ok(counts.delivered >= CONTACT_TYPES.length, JSON.stringify(counts));
  assert.equal(counts.pending, 0);
  assert.deepEqual(receiver.events.map((e) => e.type), CONTACT_TYPES);
  assert.equal(receiver.events[0].payload.id, contact.id);
  assert.deepEqual(receiver.events, await server.events({ token }));
  for (const delivery of receiver.deliveries) {
    const expected = createHmac('sha256', receiver.secret).update(delivery.body).digest('hex');
    assert.equal(delivery.signature, expected);
    assert.equal(delivery.verified, true);
  }
});

test('a delivery signed with another secret is refused by the receiver', async (t) => {
  // No retries, so that the refused delivery fails at once and flush returns.
  const server = await start(t, { flags: ['--webhook-retries', '0', '--quiet'] });
  const token = server.token();
  const receiver = await server.startReceiver({ token });
  t.after(() => receiver.close());
  const impostor = await call(server, token, 'POST', '/__admin/webhooks', { url: receiver.url, secret: 'not-the-receivers', token });
  assert.equal(impostor.status, 201);
  const created = await call(server, token, 'POST', '/v1/conversations', { contact_id: 'c1' });
  assert.deepEqual(await server.flush(), { delivered: 1, failed: 1, pending: 0 });
  assert.deepEqual(receiver.events.map((e) => e.payload.id), [created.body.id]);
  assert.deepEqual(receiver.deliveries.map((d) => d.verified).sort(), [false, true]);
  const listed = await call(server, token, 'GET', `/__admin/webhooks/deliveries?webhook=${impostor.body.id}`);
  assert.deepEqual(listed.body.deliveries.map((d) => [d.state, d.status]), [['failed', 401]]);
});

test('events() and a receiver keep to a workspace and to the types asked', async (t) => {
  const server = await start(t);
  const [mine, theirs] = [server.token(), server.token()];
  const receiver = await server.startReceiver({ token: mine, events: ['message.*'] });
  t.after(() => receiver.close());
  await call(server, theirs, 'POST', '/v1/messages', { conversation_id: DOCUMENTED, message: 'theirs' });
  await contactLife(server, mine);
  await server.flush();
  assert.deepEqual(receiver.events.map((e) => e.type), ['message.created', 'message.deleted']);
  assert.deepEqual((await server.events({ token: mine })).map((e) => e.type), CONTACT_TYPES);
  assert.deepEqual((await server.events({ token: mine, type: 'conversation.*' })).map((e) => e.type), [
    'conversation.created',
    'conversation.updated',
    'conversation.deleted',
  ]);
  assert.deepEqual((await server.events({ token: theirs })).map((e) => e.type), ['message.created', 'conversation.updated']);
  assert.equal((await server.events()).length, CONTACT_TYPES.length + 2);
});

test('close() unregisters the receiver and stops it, also after the server is closed; a second close() is harmless', async (t) => {
  const server = await start(t);
  const receiver = await server.startReceiver();
  const listed = async () => (await call(server, 't', 'GET', '/__admin/webhooks')).body.webhooks.map((w) => w.id);
  assert.deepEqual(await listed(), [receiver.id]);
  await receiver.close();
  assert.deepEqual(await listed(), []);
  await assert.rejects(fetch(receiver.url, { method: 'POST', body: '{}' }));
  await receiver.close();
  // A receiver closed after its server: it stops, and nothing is asked of the server.
  const late = await server.startReceiver();
  await server.close();
  await late.close();
  await assert.rejects(fetch(late.url, { method: 'POST', body: '{}' }));
});

test('without --isolate a receiver takes every change, and a token is not needed', async (t) => {
  const server = await start(t, { isolate: false });
  const receiver = await server.startReceiver({ token: 'ignored' });
  t.after(() => receiver.close());
  await call(server, server.token(), 'POST', '/v1/conversations', { contact_id: 'c1' });
  await server.flush();
  assert.deepEqual(receiver.events.map((e) => e.type), ['conversation.created']);
  assert.deepEqual(await server.events({ token: 'ignored' }), receiver.events);
});

test('the other participant writes and reads', async (t) => {
  const server = await start(t);
  const token = server.token();
  const receiver = await server.startReceiver({ token });
  t.after(() => receiver.close());
  const message = await server.simulateMessage({ conversation_id: DOCUMENTED, message: 'Merry Christmas' }, { token });
  assert.equal(message.contact.id, 'WAz8eIbvDR60rouK');
  const read = await server.simulateRead(message.id, { token });
  assert.notEqual(read.read_at, null);
  await server.flush();
  assert.deepEqual(receiver.events.map((e) => [e.type, e.payload.id]), [
    ['message.created', message.id],
    ['conversation.updated', DOCUMENTED],
    ['message.updated', message.id],
  ]);
  const scheduled = await server.simulateMessage({ conversation_id: DOCUMENTED, message: 'later', delay_ms: 60000 }, { token });
  assert.equal(scheduled.status, 'scheduled');
  await assert.rejects(server.simulateMessage({ conversation_id: 'nope', message: 'hello' }, { token }), (err) => err.status === 404);
});

test('a flush that times out rejects with 504 and the counts', async (t) => {
  // A receiver that accepts the connection and never answers: the delivery stays pending.
  const silent = net.createServer(() => {});
  await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    silent.close();
  });
  const server = await start(t, { flags: ['--webhook-retries', '0', '--quiet'] });
  const token = server.token();
  const hook = { url: `http://127.0.0.1:${silent.address().port}/`, token };
  assert.equal((await call(server, token, 'POST', '/__admin/webhooks', hook)).status, 201);
  await call(server, token, 'POST', '/v1/conversations', { contact_id: 'c1' });
  await assert.rejects(server.flush({ timeoutMs: 1 }), (err) => {
    assert.equal(err.status, 504);
    assert.equal(JSON.parse(err.body).pending, 1);
    return true;
  });
});
