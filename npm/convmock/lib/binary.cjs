'use strict';
// Where the convmock executable is. The `convmock` package carries no binary: each platform
// has a package of its own (`@convmock/linux-x64`, …) holding the executable, and `convmock`
// lists them all as optional dependencies, each with its `os` and `cpu`, so the package
// manager installs only the one that fits — no install script, no download. This file is the
// one list of those platforms; `npm/build.mjs` generates the platform packages from it.

const fs = require('node:fs');

/**
 * The platforms with a published executable, keyed by `${process.platform}-${process.arch}`.
 * Only those built and tested go here: a platform added here needs its package packed (by
 * npm/build.mjs on that platform) and published with the same version.
 */
const PLATFORMS = {
  // `glibc`: the oldest glibc the executable runs on (npm/build.mjs checks it).
  'linux-x64': { os: 'linux', cpu: 'x64', libc: 'glibc', glibc: '2.34' },
};

/** The environment variable that names another executable to run. */
const OVERRIDE = 'CONVMOCK_BINARY';

/** The npm package that carries a platform's executable. */
function packageName(platform) {
  return `@convmock/${platform}`;
}

/** The executable's file name inside its platform package. */
function executableName(os) {
  return os === 'win32' ? 'convmock.exe' : 'convmock';
}

function isExecutableFile(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The convmock executable to run: `CONVMOCK_BINARY` when set, else the one in this
 * platform's package. Throws an error that lists every place looked at.
 */
function findBinary(env = process.env, platform = `${process.platform}-${process.arch}`) {
  const override = env[OVERRIDE];
  if (override) {
    if (isExecutableFile(override)) return override;
    throw new Error(`convmock: ${OVERRIDE} is set to ${override}, which is not an executable file.`);
  }
  const tried = [`${OVERRIDE}: not set`];
  const fix = `set ${OVERRIDE} to a convmock executable (cargo install builds one from source).`;
  const known = PLATFORMS[platform];
  if (!known) {
    throw new Error(
      `convmock: no executable is published for ${platform} (there are for ` +
        `${Object.keys(PLATFORMS).join(', ')}). Looked at:\n  ${tried.join('\n  ')}\n` +
        `To run it here, ${fix}`,
    );
  }
  const request = `${packageName(platform)}/${executableName(known.os)}`;
  try {
    const found = require.resolve(request);
    if (isExecutableFile(found)) return found;
    tried.push(`${request}: ${found} is not executable (chmod +x it, or reinstall)`);
  } catch (err) {
    if (err.code !== 'MODULE_NOT_FOUND') throw err;
    tried.push(`${request}: not installed (looked in node_modules from ${__dirname} up)`);
  }
  throw new Error(
    `convmock: no executable found for ${platform}. Looked at:\n  ${tried.join('\n  ')}\n` +
      `${packageName(platform)} is an optional dependency of convmock: it is left out by ` +
      `--omit=optional (or --no-optional), or when node_modules was installed on another ` +
      `platform. Reinstall convmock on this machine, or ${fix}`,
  );
}

module.exports = { PLATFORMS, OVERRIDE, packageName, executableName, findBinary };
