// Node's fetch sends the whole body before it reads the answer: it must still see the 413
// for a body over the 1 MiB limit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startConvmock } from './convmock.mjs';

let server;
before(async () => { server = await startConvmock(); });
after(() => server.stop());

for (const mib of [2, 16]) {
  test(`fetch reads the 413 for a ${mib} MiB body, 20 times in a row`, async () => {
    const body = Buffer.alloc(mib << 20, 'a');
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${server.url}/v1/conversations`, {
        method: 'POST',
        headers: { Authorization: 'Bearer t', 'Content-Type': 'application/x-www-form-urlencoded' },
        body,
      });
      assert.equal(res.status, 413, `try ${i + 1}`);
      assert.match((await res.json()).error_message, /1 MiB/);
    }
  });
}
