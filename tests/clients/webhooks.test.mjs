// The Node receiver of examples/webhooks (the one docs/webhooks.md shows) against the server:
// every event arrives in order, and its signature verifies with node:crypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startConvmock } from './convmock.mjs';
import { receiver, verify } from '../../examples/webhooks/receiver.mjs';

const SECRET = 'node-secret';
const root = new URL('../../', import.meta.url);

test('the docs show this receiver', () => {
  const shown = readFileSync(new URL('docs/webhooks.md', root), 'utf8');
  assert.ok(shown.includes(readFileSync(new URL('examples/webhooks/receiver.mjs', root), 'utf8')));
});

test('events arrive in order and verify with createHmac', async () => {
  const server = await startConvmock('--seed', '1', '--webhook-retries', '0');
  const events = [];
  const hooks = receiver(SECRET, (event) => events.push(event));
  await new Promise((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  try {
    const call = async (method, path, body) => {
      const res = await fetch(server.url + path, {
        method,
        headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' },
        body: body && JSON.stringify(body),
      });
      return res.status === 204 ? null : res.json();
    };
    const hookUrl = `http://127.0.0.1:${hooks.address().port}/hook`;
    await call('POST', '/__admin/webhooks', { url: hookUrl, secret: SECRET });
    // Signed with another secret: the receiver refuses it (401), so it fails.
    await call('POST', '/__admin/webhooks', { url: hookUrl, secret: 'wrong', events: ['group.*'] });
    const group = await call('POST', '/v1/groups', { name: 'Family' });
    await call('POST', '/v1/messages', { conversation_id: group.conversation_id, message: 'Hi' });
    await call('DELETE', `/v1/groups/${group.id}`);
    const counts = await call('POST', '/__admin/webhooks/flush', { timeout_ms: 20000 });
    const emitted = (await call('GET', '/__admin/events')).events;
    assert.deepEqual(emitted.map((e) => e.type), [
      'group.created',
      'conversation.created',
      'message.created',
      'conversation.updated',
      'group.deleted',
      'conversation.deleted',
      'message.deleted',
    ]);
    assert.deepEqual(events, emitted);
    assert.deepEqual(counts, { delivered: 7, failed: 2, pending: 0 });
    assert.equal(verify(SECRET, Buffer.from('{}'), '0'.repeat(64)), false);
  } finally {
    hooks.close();
    server.stop();
  }
});
