#!/usr/bin/env bash
# The Python package as a user gets it: builds the wheel from the checkout (maturin, the
# release binary inside), installs it with --no-index into a new venv outside the repository,
# and runs there, from a folder outside the repository and with no path into it, the user
# recipe of examples/python (the plugin alone, under pytest-xdist with 2 workers) and the
# package's own tests (python/tests); then `python -m convmock --port 0` must print the ready
# line. Prints the wheel's size and the time taken.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
started=$SECONDS

# maturin in a venv of its own under target/, kept between runs like the cargo build it drives.
build_venv=target/wheel-build-venv
if [ ! -x "$build_venv/bin/maturin" ]; then
  python3 -m venv "$build_venv"
  "$build_venv/bin/pip" install -q --disable-pip-version-check 'maturin>=1.5,<2'
fi
rm -rf target/wheels
# The release profile, in target/ like every cargo build, so a rebuild is incremental.
# `--auditwheel check`: the binary links only the C library, so there is nothing to repair
# (and no patchelf needed); a new dependency on another shared library fails here.
(cd python && "$repo/$build_venv/bin/maturin" build --release --locked --auditwheel check \
  --out "$repo/target/wheels" --quiet)
wheels=(target/wheels/convmock-*.whl)
if [ "${#wheels[@]}" -ne 1 ] || [ ! -f "${wheels[0]}" ]; then
  echo "python_package: expected one wheel in target/wheels, found: ${wheels[*]}" >&2
  exit 1
fi
wheel="$repo/${wheels[0]}"
echo "python_package: built $(basename "$wheel"): $(($(stat -c %s "$wheel") / 1024)) KiB"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
py="$work/venv/bin/python"
"$py" -m pip install -q --disable-pip-version-check pytest pytest-xdist
# convmock itself from the wheel alone: it needs nothing from an index.
"$py" -m pip install -q --disable-pip-version-check --no-index "$wheel"
cp -r examples/python "$work/user-suite"
cp -r python/tests "$work/package-tests"
cp python/README.md "$work/README.md"  # its blocks are run by package-tests/test_readme.py
cp README.md "$work/PROJECT_README.md" # and so are the project README's

# Nothing may lead back into the checkout: no CONVMOCK_BIN, no PYTHONPATH, not the cwd.
run() { (cd "$1" && shift && env -u CONVMOCK_BIN -u PYTHONPATH -u PYTEST_ADDOPTS "$@"); }

run "$work/user-suite" "$py" -m pytest -p xdist -n 2 -p no:cacheprovider -rfE \
  --junitxml="$work/user-suite.xml" | tee "$work/user-suite.log"
grep -q "created: 2/2 workers" "$work/user-suite.log" ||
  { echo "python_package: the user suite did not run on 2 xdist workers" >&2; exit 1; }
# The forty isolation tests must all have run and passed (not skipped, not deselected).
"$py" - "$work/user-suite.xml" <<'EOF'
import sys
import xml.etree.ElementTree as ET

cases = [c for c in ET.parse(sys.argv[1]).iter("testcase")
         if c.get("name", "").startswith("test_a_test_sees_only_its_own_conversations")]
bad = [c.get("name") for c in cases if any(e.tag in ("failure", "error", "skipped") for e in c)]
if len(cases) != 40 or bad:
    sys.exit(f"python_package: expected 40 passing isolation tests, got {len(cases)}, not passed: {bad}")
print("python_package: 40 isolation tests passed on 2 workers")
EOF

run "$work/package-tests" "$py" -m pytest -p xdist -n 2 -p no:cacheprovider -q -rfE

# `python -m convmock` runs the wheel's executable: its ready line, a health check, a clean stop.
# `exec` all the way down (the subshell, env, then python -m convmock): $! is the server.
(cd "$work" && exec env -u CONVMOCK_BIN -u PYTHONPATH "$py" -m convmock --port 0 --quiet \
  >"$work/ready.txt") &
pid=$!
for _ in $(seq 100); do
  [ -s "$work/ready.txt" ] && break
  sleep 0.1
done
ready=$(head -n 1 "$work/ready.txt")
if ! [[ $ready =~ ^listening\ on\ (http://127\.0\.0\.1:[0-9]+)$ ]]; then
  kill "$pid" 2>/dev/null || true
  echo "python_package: python -m convmock printed '$ready', not the ready line" >&2
  exit 1
fi
curl -fsS "${BASH_REMATCH[1]}/__admin/health" >/dev/null
kill -TERM "$pid"
wait "$pid"
echo "python_package: python -m convmock --port 0 printed '$ready' and stopped cleanly"
echo "python_package: done in $((SECONDS - started)) s"
