// Shared by the package's own tests: the built executable, and fake executables that
// misbehave on purpose.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'convmock');
export const launcher = path.join(packageDir, 'bin', 'convmock');

/** The convmock executable under test (scripts/npm_package.sh sets it). */
export function builtBinary() {
  const binary = process.env.CONVMOCK_BINARY;
  assert.ok(binary, 'set CONVMOCK_BINARY to a built convmock, like target/debug/convmock');
  return binary;
}

/** The environment without the override, as on a machine that has only the package. */
export function envWithoutOverride() {
  const env = { ...process.env };
  delete env.CONVMOCK_BINARY;
  return env;
}

/** Writes an executable shell script into a fresh temporary folder and returns its path. */
export function fakeBinary(t, script) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convmock-fake-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'convmock');
  fs.writeFileSync(file, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return file;
}

/** Resolves once `pid` no longer exists (a few seconds at most). */
export async function gone(pid) {
  for (let i = 0; i < 100; i += 1) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`process ${pid} is still running`);
}

/** Whether anything answers at `url` now. */
export async function answers(url) {
  try {
    await fetch(`${url}/__admin/health`);
    return true;
  } catch {
    return false;
  }
}
