// Builds the npm packages from a built convmock executable and packs them:
//
//   node npm/build.mjs --binary target/release/convmock [--platform linux-x64] [--out target/npm]
//
// writes `OUT/convmock-VERSION.tgz` (the launcher and the helper, npm/convmock/) and
// `OUT/convmock-PLATFORM-VERSION.tgz` (`@convmock/PLATFORM`: the executable, with the `os`,
// `cpu` and `libc` that make npm install it only there), and prints their paths on stdout.
// The platform list is npm/convmock/lib/binary.cjs; the version and licence are Cargo.toml's.
// The main package lists every platform's package as an optional dependency (npm skips the
// ones whose os/cpu do not fit, and any it cannot fetch); with several platforms, a release
// runs this on each, for the same version.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const checkout = path.dirname(here);
const { PLATFORMS, packageName, executableName } = createRequire(import.meta.url)(
  './convmock/lib/binary.cjs',
);

const { values: opts } = parseArgs({
  options: {
    binary: { type: 'string' },
    platform: { type: 'string', default: `${process.platform}-${process.arch}` },
    out: { type: 'string', default: path.join(checkout, 'target', 'npm') },
  },
});
if (!opts.binary) throw new Error('usage: node npm/build.mjs --binary PATH [--platform KEY] [--out DIR]');
const platform = PLATFORMS[opts.platform];
if (!platform) {
  throw new Error(`unknown platform ${opts.platform}; known: ${Object.keys(PLATFORMS).join(', ')}`);
}

/** `version` and `license` from Cargo.toml's [package] table. */
function cargoPackage() {
  const toml = fs.readFileSync(path.join(checkout, 'Cargo.toml'), 'utf8');
  const table = toml.split(/^\[/m).find((t) => t.startsWith('package]'));
  const field = (name) => {
    const found = new RegExp(`^${name}\\s*=\\s*"([^"]+)"`, 'm').exec(table ?? '');
    if (!found) throw new Error(`Cargo.toml: no ${name} in [package]`);
    return found[1];
  };
  return { version: field('version'), license: field('license') };
}

/** Fails unless the executable asks for no newer glibc than the platform states. */
function checkGlibc(binary, oldest) {
  const symbols = execFileSync('objdump', ['-T', binary], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const newer = [...new Set(symbols.match(/GLIBC_[0-9.]+/g) ?? [])]
    .map((v) => v.slice('GLIBC_'.length))
    .filter((v) => compareVersions(v, oldest) > 0);
  if (newer.length) {
    throw new Error(`${binary} needs glibc ${newer.join(', ')}, newer than the ${oldest} stated in lib/binary.cjs`);
  }
}

function compareVersions(a, b) {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  }
  return 0;
}

function writeJson(file, value) {
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Packs a staged package into OUT and returns the tarball's path. */
function pack(dir) {
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', out], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  return path.join(out, packed.filename);
}

const { version, license } = cargoPackage();
const out = path.resolve(opts.out);
const stage = path.join(out, 'stage');
fs.mkdirSync(stage, { recursive: true });

if (platform.glibc) checkGlibc(opts.binary, platform.glibc);

// The platform package: the executable and a manifest, no scripts.
const platformDir = path.join(stage, opts.platform);
fs.rmSync(platformDir, { recursive: true, force: true });
fs.mkdirSync(platformDir);
const executable = path.join(platformDir, executableName(platform.os));
fs.copyFileSync(opts.binary, executable);
fs.chmodSync(executable, 0o755);
const name = packageName(opts.platform);
writeJson(path.join(platformDir, 'package.json'), {
  name,
  version,
  description: `The convmock executable for ${opts.platform}; install the convmock package, which uses it`,
  license,
  os: [platform.os],
  cpu: [platform.cpu],
  ...(platform.libc ? { libc: [platform.libc] } : {}),
  files: [path.basename(executable)],
  preferUnplugged: true,
});
fs.writeFileSync(
  path.join(platformDir, 'README.md'),
  `# ${name}\n\nThe \`convmock\` executable for ${opts.platform}. Install [convmock](https://www.npmjs.com/package/convmock) instead: it depends on this package where it fits.\n`,
);

// The main package: npm/convmock as it is, with the version and every platform package.
const mainDir = path.join(stage, 'convmock');
fs.rmSync(mainDir, { recursive: true, force: true });
fs.cpSync(path.join(here, 'convmock'), mainDir, { recursive: true });
const manifest = JSON.parse(fs.readFileSync(path.join(mainDir, 'package.json'), 'utf8'));
writeJson(path.join(mainDir, 'package.json'), {
  name: manifest.name,
  version,
  license,
  ...manifest,
  optionalDependencies: Object.fromEntries(Object.keys(PLATFORMS).map((p) => [packageName(p), version])),
});

for (const dir of [platformDir, mainDir]) console.log(pack(dir));
