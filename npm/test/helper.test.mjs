// startConvmock() and the server it gives, against the executable named by CONVMOCK_BINARY.
// (examples/node is the user's view of the same API, run from an installed package.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startConvmock } from '../convmock/index.mjs';
import { answers, builtBinary, fakeBinary, gone, packageDir } from './support.mjs';

builtBinary();

/** Starts a server for one test and closes it after. */
async function start(t, options) {
  const server = await startConvmock(options);
  t.after(() => server.close());
  return server;
}

const get = (server, token, id) =>
  fetch(`${server.url}/v1/conversations/${id}`, { headers: { Authorization: `Bearer ${token}` } });
const remove = (server, token, id) =>
  fetch(`${server.url}/v1/conversations/${id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } });

test('flags the helper adds itself are not doubled when the caller gives them too', async (t) => {
  for (const flags of [['--port', '0', '--isolate'], ['--port=0', '--isolate', '--quiet']]) {
    const server = await start(t, { flags });
    // Still isolated: a delete under one token leaves another token's workspace whole.
    const [mine, theirs] = [server.token(), server.token()];
    assert.equal((await remove(server, mine, 'xgQQXg3hrtjh7AvZ')).status, 204);
    assert.equal((await get(server, theirs, 'xgQQXg3hrtjh7AvZ')).status, 200);
  }
});

test('isolate: false gives every token the same workspace', async (t) => {
  const server = await start(t, { isolate: false });
  assert.equal((await remove(server, server.token(), 'xgQQXg3hrtjh7AvZ')).status, 204);
  assert.equal((await get(server, server.token(), 'xgQQXg3hrtjh7AvZ')).status, 404);
});

test('tokens are fresh and unique', async (t) => {
  const server = await start(t);
  const tokens = new Set(Array.from({ length: 100 }, () => server.token()));
  assert.equal(tokens.size, 100);
});

test('a server that exits before it is ready rejects with its status and stderr', async () => {
  await assert.rejects(startConvmock({ flags: ['--profile', 'nope'] }), (err) => {
    assert.match(err.message, /^convmock: exited \(status 2\) before it was ready/);
    assert.match(err.message, /command: .*convmock --port 0 --isolate --profile nope/);
    assert.match(err.message, /invalid value 'nope' for '--profile <PROFILE>'/);
    return true;
  });
});

test('a server that prints no ready line in time is stopped, and the error says so', async (t) => {
  const pidFile = path.join(path.dirname(fakeBinary(t, '')), 'pid');
  const fake = fakeBinary(t, `echo $$ > ${pidFile}; echo starting >&2; exec sleep 30`);
  await assert.rejects(startConvmock({ binary: fake, timeoutMs: 500 }), (err) => {
    assert.match(err.message, /^convmock: printed no ready line within 500 ms/);
    assert.match(err.message, /stderr:\nstarting$/);
    return true;
  });
  await gone(Number(fs.readFileSync(pidFile, 'utf8')));
});

test('a first line that is not the ready line is an error that quotes it', async (t) => {
  const fake = fakeBinary(t, 'echo "hello there"; exec sleep 30');
  await assert.rejects(startConvmock({ binary: fake }), /expected the ready line 'listening on http:\/\/…', got "hello there"/);
});

test('an executable that cannot be started is named in the error', async () => {
  await assert.rejects(startConvmock({ binary: '/nonexistent/convmock' }), /^Error: convmock: could not start \/nonexistent\/convmock: spawn \/nonexistent\/convmock ENOENT/);
});

test('a refused admin call rejects with the status and the server\'s message', async (t) => {
  const server = await start(t);
  await assert.rejects(server.addFault({ path: '/v1/conversations', status: 200 }), (err) => {
    assert.equal(err.status, 400);
    assert.match(err.message, /^convmock: POST \/__admin\/faults answered 400: .*status/s);
    return true;
  });
  // Under --isolate, an ID queue belongs to a token.
  await assert.rejects(server.nextIds(['a1']), (err) => err.status === 400 && /token/.test(err.message));
});

test('the admin token given in the flags is sent with every admin call', async (t) => {
  const server = await start(t, { flags: ['--admin-token', 's3cret'] });
  assert.equal((await fetch(`${server.url}/__admin/reset`, { method: 'POST' })).status, 401);
  await server.reset();
  await server.addFault({ path: '/v1/conversations', status: 503, count: 1 });
  assert.equal((await server.journal()).length, 0);
});

test('clock() reads the clock, and changes it one way at a time', async (t) => {
  const server = await start(t, { flags: ['--clock', '1700000000'] });
  assert.deepEqual(await server.clock(), { now: 1700000000, frozen: true });
  assert.deepEqual(await server.clock({ advance: -100 }), { now: 1699999900, frozen: true });
  assert.equal((await server.clock({ system: true })).frozen, false);
  await assert.rejects(server.clock({ now: 1, advance: 1 }), (err) => err.status === 400);
});

test('the journal filters by method and path on the server, and by token', async (t) => {
  const server = await start(t);
  const [mine, theirs] = [server.token(), server.token()];
  await get(server, mine, 'xgQQXg3hrtjh7AvZ');
  await get(server, theirs, 'xgQQXg3hrtjh7AvZ');
  await remove(server, mine, 'hSIhXBhNe8X1d8Et');
  assert.equal((await server.journal()).length, 3);
  assert.deepEqual((await server.journal({ token: mine })).map((e) => e.method), ['GET', 'DELETE']);
  assert.deepEqual((await server.journal({ method: 'GET', token: mine })).map((e) => e.path), ['/v1/conversations/xgQQXg3hrtjh7AvZ']);
  assert.equal((await server.journal({ path: '/v1/conversations/hSIhXBhNe8X1d8Et' })).length, 1);
});

test('under listed tokens the journal finds a token\'s requests, and never shows it', async (t) => {
  const server = await start(t, { flags: ['--token', 'secret-a', '--token', 'secret-b'] });
  await get(server, 'secret-b', 'xgQQXg3hrtjh7AvZ');
  await get(server, 'secret-a', 'xgQQXg3hrtjh7AvZ');
  const mine = await server.journal({ token: 'secret-a' });
  assert.deepEqual(mine.map((e) => e.token), ['<token 1>']);
  assert.ok(!JSON.stringify(await server.journal()).includes('secret'));
});

test('close() stops the server, a second close() is harmless, and asyncDispose closes too', async () => {
  const first = await startConvmock();
  await first.close();
  assert.equal(await answers(first.url), false);
  await first.close();
  await gone(first.pid);

  const second = await startConvmock();
  await second[Symbol.asyncDispose]();
  assert.equal(await answers(second.url), false);
});

test('a server never closed does not keep the process alive, and ends with it', () => {
  // A script that forgets close(): it must still exit, and take the server along.
  const script = `
    import { startConvmock } from ${JSON.stringify(path.join(packageDir, 'index.mjs'))};
    const server = await startConvmock();
    console.log(server.pid, server.url);
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  const [pid] = run.stdout.trim().split(' ');
  return gone(Number(pid));
});

test('logs: true copies the server\'s request log to stderr', () => {
  const script = `
    const { startConvmock } = require(${JSON.stringify(path.join(packageDir, 'index.cjs'))});
    (async () => {
      const server = await startConvmock({ logs: true });
      await fetch(server.url + '/v1/conversations', { headers: { Authorization: 'Bearer t' } });
      await server.close();
    })();
  `;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /GET \/v1\/conversations 200/);
});
