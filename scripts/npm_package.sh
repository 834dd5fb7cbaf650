#!/usr/bin/env bash
# The npm package as a user gets it: builds the release binary, packs the platform package and
# the main package into target/npm/, runs the package's own tests (npm/test/), then installs
# both tarballs into a new Node project outside the checkout — offline, with no registry and
# no install scripts — and there runs the user recipe (examples/node), `npx convmock --port 0`
# and a TypeScript check of the package's types. Prints the tarballs' sizes.
#   scripts/npm_package.sh        (called by .ci/run; needs cargo, node, npm)
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD
trap 'echo "npm_package.sh: FAILED (line $LINENO: $BASH_COMMAND)" >&2' ERR
started=$SECONDS

cargo build --release --quiet
binary=$checkout/target/release/convmock
mapfile -t tarballs < <(node npm/build.mjs --binary "$binary" --out target/npm)
for tarball in "${tarballs[@]}"; do
  echo "packed $(basename "$tarball"): $(stat -c %s "$tarball") bytes"
done

CONVMOCK_BINARY=$binary node --test npm/test/*.test.mjs

# TypeScript for the type check only (from the registry, like .ci/run's other tools).
tsc_dir=$checkout/target/ci-typescript
if [ ! -f "$tsc_dir/node_modules/typescript/bin/tsc" ]; then
  npm install --prefix "$tsc_dir" --no-audit --no-fund --silent typescript@5
fi

# A user's project: a temporary folder, a fresh npm cache, a registry that refuses every
# connection, and no variable pointing into the checkout.
project=$(mktemp -d)
npx_pid=
cleanup() {
  if [ -n "$npx_pid" ]; then kill -TERM -- "-$npx_pid" 2>/dev/null || true; fi
  rm -rf "$project"
}
trap cleanup EXIT
cp "${tarballs[@]}" "$project/"
cp examples/node/convmock.test.mjs npm/test/types/esm.mts npm/test/types/cjs.cts "$project/"
# The project README's node:test blocks (the test suite's, the webhook receiver's), each as a
# user would paste it into a file of its own.
readme_blocks=$(awk '
  /^```js$/ {block = ""; inside = 1; next}
  inside && /^```$/ {inside = 0; if (block ~ /from .convmock./ && block ~ /node:test/) {n++; printf "%s", block > (dir "/readme_" n ".test.mjs")}}
  inside {block = block $0 "\n"}
  END {print n + 0}' dir="$project" README.md)
if [ "$readme_blocks" -ne 2 ] || ! grep -q "createHmac" "$project"/readme_*.test.mjs; then
  echo "expected two node:test blocks in README.md, one verifying with createHmac; found $readme_blocks" >&2
  exit 1
fi
cd "$project"
unset CONVMOCK_BIN CONVMOCK_BINARY
export npm_config_registry=http://127.0.0.1:9 npm_config_cache=$project/.npm-cache npm_config_offline=true
npm init -y >/dev/null
npm install --ignore-scripts --offline --no-audit --no-fund ./*.tgz
node --test convmock.test.mjs readme_*.test.mjs
node -e "if (typeof require('convmock').startConvmock !== 'function') process.exit(1)"

# `npx convmock --port 0` prints the ready line. npm runs the launcher in a process of its
# own, so the whole process group (set up by setsid) is stopped, then the port must be free.
setsid npx convmock --port 0 >npx.out 2>npx.err &
npx_pid=$!
for _ in $(seq 100); do
  if [ -s npx.out ] || ! kill -0 "$npx_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
ready=$(head -n 1 npx.out)
if [[ ! $ready =~ ^listening\ on\ (http://127\.0\.0\.1:[0-9]+)$ ]]; then
  echo "npx convmock --port 0 printed '$ready' instead of the ready line; stderr:" >&2
  cat npx.err >&2
  exit 1
fi
url=${BASH_REMATCH[1]}
echo "npx convmock --port 0: $ready"
curl -sf "$url/__admin/health" >/dev/null
kill -TERM -- "-$npx_pid"
wait "$npx_pid" || true
npx_pid=
if curl -s -m 2 "$url/__admin/health" >/dev/null; then
  echo "convmock still answers at $url after npx was stopped" >&2
  exit 1
fi

# The types, as an ES module and as CommonJS would use them: with a `lib` that lacks
# Symbol.asyncDispose, and with one that has it.
for lib in es2022 esnext; do
  node "$tsc_dir/node_modules/typescript/bin/tsc" --noEmit --strict --module node16 \
    --moduleResolution node16 --target es2022 --lib "$lib" esm.mts cjs.cts
done
echo "types check with lib es2022 and esnext"

for tarball in "${tarballs[@]}"; do
  echo "npm package $(basename "$tarball"): $(stat -c %s "$tarball") bytes"
done
echo "npm_package.sh: passed in $((SECONDS - started)) s"
