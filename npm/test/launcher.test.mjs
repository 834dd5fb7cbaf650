// The `convmock` command the package installs (what `npx convmock` runs), and where it looks
// for the executable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { answers, builtBinary, envWithoutOverride, fakeBinary, launcher, packageDir } from './support.mjs';

const { findBinary, PLATFORMS, packageName } = createRequire(import.meta.url)(
  path.join(packageDir, 'lib', 'binary.cjs'),
);

function runLauncher(args, env) {
  return spawnSync(process.execPath, [launcher, ...args], { env, encoding: 'utf8', timeout: 30_000 });
}

test('the launcher runs CONVMOCK_BINARY with the same arguments, streams and exit status', (t) => {
  const fake = fakeBinary(t, 'echo "args: $*"; echo "said on stderr" >&2; exit 7');
  const run = runLauncher(['--port', '0', 'two words'], { ...process.env, CONVMOCK_BINARY: fake });
  assert.equal(run.stdout, 'args: --port 0 two words\n');
  assert.equal(run.stderr, 'said on stderr\n');
  assert.equal(run.status, 7);
});

test('the launcher prints the ready line, and SIGTERM to the launcher stops the server', async () => {
  const child = spawn(process.execPath, [launcher, '--port', '0', '--quiet'], {
    env: { ...process.env, CONVMOCK_BINARY: builtBinary() },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  assert.match(line, /^listening on http:\/\/127\.0\.0\.1:\d+$/);
  const url = line.split(' ').pop();
  assert.ok(await answers(url));
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  assert.deepEqual(await exited, [0, null]);
  assert.equal(await answers(url), false, 'the server outlived its launcher');
});

test('without a platform package or CONVMOCK_BINARY, the launcher names every place it looked', () => {
  const run = runLauncher(['--port', '0'], envWithoutOverride());
  assert.equal(run.status, 2);
  assert.equal(run.stdout, '');
  const platform = `${process.platform}-${process.arch}`;
  assert.match(run.stderr, /^convmock: no executable found for /);
  assert.match(run.stderr, /CONVMOCK_BINARY: not set/);
  assert.ok(run.stderr.includes(`${packageName(platform)}/convmock: not installed`), run.stderr);
  assert.match(run.stderr, /Reinstall convmock on this machine, or set CONVMOCK_BINARY/);
});

test('CONVMOCK_BINARY naming no executable is an error that names it', () => {
  const run = runLauncher(['--version'], { ...process.env, CONVMOCK_BINARY: '/nonexistent/convmock' });
  assert.equal(run.status, 2);
  assert.equal(
    run.stderr,
    'convmock: CONVMOCK_BINARY is set to /nonexistent/convmock, which is not an executable file.\n',
  );
});

test('a platform without a published executable is told which ones have one', () => {
  assert.throws(() => findBinary({}, 'aix-ppc64'), (err) => {
    assert.match(err.message, /^convmock: no executable is published for aix-ppc64 \(there are for linux-x64\)/);
    assert.match(err.message, /set CONVMOCK_BINARY to a convmock executable/);
    return true;
  });
  assert.ok(!('aix-ppc64' in PLATFORMS));
});
