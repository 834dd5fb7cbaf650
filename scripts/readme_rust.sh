#!/usr/bin/env bash
# The README's Rust blocks as a user pastes them: each ```rust block becomes a test file of a
# new crate outside this checkout that depends on this one (as the README's ```toml block
# says), and `cargo test` runs them there. Fails unless every block's test passes.
#   scripts/readme_rust.sh        (called by .ci/run; needs cargo)
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD
trap 'echo "readme_rust.sh: FAILED (line $LINENO: $BASH_COMMAND)" >&2' ERR

crate=$(mktemp -d)
cleanup() { rm -rf "$crate"; }
trap cleanup EXIT
mkdir -p "$crate/src" "$crate/tests"
: >"$crate/src/lib.rs"
# The README's own dependency lines, with the path pointing at this checkout.
deps=$(awk '/^```toml$/ {inside = 1; next} inside && /^```$/ {exit} inside' README.md |
  sed "s|path = \"\\.\\./convmock\"|path = \"$checkout\"|")
grep -q "path = \"$checkout\"" <<<"$deps"
cat >"$crate/Cargo.toml" <<TOML
[package]
name = "readme-user"
version = "0.0.0"
edition = "2021"
publish = false

$deps
TOML
# The versions this checkout is tested with, so that nothing new is downloaded.
cp Cargo.lock "$crate/"
blocks=$(awk '
  /^```rust$/ {n++; file = sprintf("%s/tests/readme_%d.rs", dir, n); inside = 1; next}
  inside && /^```$/ {inside = 0; next}
  inside {print > file}
  END {print n}' dir="$crate" README.md)
echo "readme_rust.sh: $blocks Rust blocks from README.md, in a crate of their own"
(cd "$crate" && CARGO_TARGET_DIR="$checkout/target/readme-user" cargo test --quiet 2>&1) | tee "$crate/out"
passed=$(grep -Eo '^test result: ok\. [0-9]+ passed' "$crate/out" | awk '{s += $4} END {print s + 0}')
if [ "$passed" -ne "$blocks" ]; then
  echo "readme_rust.sh: $passed tests passed, expected one per block ($blocks)" >&2
  exit 1
fi
echo "readme_rust.sh: passed ($passed tests)"
