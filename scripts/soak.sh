#!/usr/bin/env bash
# Soak test: SECONDS of mixed load at CONNECTIONS connections on loopback, with wrk and
# scripts/soak.lua (gets, list pages, creates, updates, deletes of what it created).
# Reports the errors (must be 0) and the server's RSS at start, middle and end (it should
# level off: the journal is bounded, and every conversation created is deleted again).
#
#   scripts/soak.sh [BINARY] [SECONDS] [CONNECTIONS]     # defaults: target/release/convmock 60 256
#   scripts/soak.sh target/release/convmock 5 64          # the short form, for CI
#
# The server runs on 127.0.0.1, port 0, with --isolate (not the default shared store), so
# that the load also exercises the per-token workspaces: soak.lua spreads its requests over
# four bearer tokens, so four workspaces, each seeded from the fixtures; a fixed handful,
# so the number of workspaces is bounded too.
#
# Installs wrk with apt-get when it is missing. Exits non-zero on any error (a socket error,
# a status other than 200/201/204), if wrk fails or if the server dies. wrk's -d bounds the
# run. Only the server this script started is stopped, by its PID.
#
# RSS growing by more than 1 MiB and 10% from the middle sample to the end one prints a
# warning. SOAK_MAX_GROWTH_KIB (optional) makes growth past that many KiB a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${1:-target/release/convmock}
secs=${2:-60}
conns=${3:-256}

if ! [[ $secs =~ ^[1-9][0-9]*$ && $conns =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [BINARY] [SECONDS] [CONNECTIONS]" >&2
  exit 2
fi
if [ ! -x "$binary" ]; then
  echo "soak: no executable at '$binary' (cargo build --release first)" >&2
  exit 2
fi
if ! command -v wrk >/dev/null; then
  echo "soak: installing wrk" >&2
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

work=$(mktemp -d)
pid=
wrk_pid=
cleanup() {
  if [ -n "$wrk_pid" ] && kill -0 "$wrk_pid" 2>/dev/null; then
    kill -TERM "$wrk_pid" 2>/dev/null || true
  fi
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- start the server and read its port ------------------------------------------------
"$binary" --host 127.0.0.1 --port 0 --quiet --seed 1 --isolate \
  >"$work/server.out" 2>"$work/server.err" &
pid=$!
for _ in $(seq 200); do
  [ -s "$work/server.out" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
url=$(sed -n '1s/^listening on //p' "$work/server.out")
if [ -z "$url" ] || ! kill -0 "$pid" 2>/dev/null; then
  echo "soak: the server did not start:" >&2
  cat "$work/server.err" >&2
  exit 1
fi
case $url in
  http://127.0.0.1:*) ;;
  *) echo "soak: unexpected ready line: $(head -n1 "$work/server.out")" >&2; exit 1 ;;
esac

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true; }
mib() { if [ -n "$1" ]; then awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; else echo "-"; fi; }
alive() { kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; }

sleep 0.5
rss_start=$(rss)
echo "soak: $binary (pid $pid) at $url, --isolate, $secs s, $conns connections"

# --- the load, with RSS samples every STEP seconds and at the middle --------------------
step=10
[ "$secs" -lt 30 ] && step=1
mid=$(awk -v d="$secs" 'BEGIN { print d / 2 }')
times=$(awk -v d="$secs" -v s="$step" -v m="$mid" \
  'BEGIN { for (t = s; t < d; t += s) print t; print m }' | sort -g -u)

wrk -t1 -c "$conns" -d "${secs}s" --timeout 5s -s scripts/soak.lua "$url" \
  >"$work/wrk.out" 2>&1 &
wrk_pid=$!
t0=$(date +%s.%N)
: >"$work/rss"
rss_mid=
for t in $times; do
  now=$(date +%s.%N)
  wait_s=$(awk -v a="$t0" -v b="$now" -v t="$t" 'BEGIN { w = a + t - b; print (w > 0 ? w : 0) }')
  sleep "$wait_s"
  kill -0 "$wrk_pid" 2>/dev/null || break
  r=$(rss)
  echo "$t ${r:-gone}" >>"$work/rss"
  [ "$t" = "$mid" ] && rss_mid=$r
done
wrk_status=0
wait "$wrk_pid" || wrk_status=$?
rss_end=$(rss)
server_alive=1
alive || server_alive=0

cat "$work/wrk.out"

# --- report --------------------------------------------------------------------------
echo
echo "RSS of the server (VmRSS):"
printf '  %-10s %10s\n' "t (s)" "KiB"
printf '  %-10s %10s\n' "start" "$rss_start"
while read -r t r; do
  label=$t
  [ "$t" = "$mid" ] && label="$t mid"
  printf '  %-10s %10s\n' "$label" "$r"
done <"$work/rss"
printf '  %-10s %10s\n' "end" "${rss_end:-gone}"

if command -v curl >/dev/null && [ "$server_alive" = 1 ]; then
  left=""
  for k in 0 1 2 3; do
    n=$(curl -s --max-time 5 "$url/__admin/conversations?token=soak-$k" | grep -c '"id":' || true)
    left="$left soak-$k:$n"
  done
  echo "conversations left per workspace (7 are fixtures, the rest creates whose delete the end cut off):$left"
fi

result=$(grep '^soak-result ' "$work/wrk.out" || true)
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$result"; }
requests=$(field requests)
errors=$(field errors)
seconds=$(field seconds)

status=0
if [ -z "$result" ]; then
  echo "soak: FAIL: wrk gave no result (exit $wrk_status)" >&2
  status=1
  errors=${errors:-?}
elif [ "$wrk_status" != 0 ]; then
  echo "soak: FAIL: wrk exited $wrk_status" >&2
  status=1
fi
if [ -n "$result" ] && [ "$errors" != 0 ]; then
  echo "soak: FAIL: $errors errors" >&2
  status=1
fi
if [ "$server_alive" != 1 ]; then
  echo "soak: FAIL: the server died; its stderr:" >&2
  cat "$work/server.err" >&2
  status=1
elif [ -s "$work/server.err" ]; then
  echo "soak: the server wrote to stderr:" >&2
  head -n 20 "$work/server.err" >&2
fi
if [ -n "$rss_mid" ] && [ -n "$rss_end" ] &&
   [ $((rss_end - rss_mid)) -gt 1024 ] && [ $((rss_end - rss_mid)) -gt $((rss_mid / 10)) ]; then
  echo "soak: WARNING: RSS still growing: +$((rss_end - rss_mid)) KiB from the middle to the end" >&2
fi
if [ -n "${SOAK_MAX_GROWTH_KIB:-}" ] && [ -n "$rss_mid" ] && [ -n "$rss_end" ] &&
   [ $((rss_end - rss_mid)) -gt "$SOAK_MAX_GROWTH_KIB" ]; then
  echo "soak: FAIL: RSS grew by $((rss_end - rss_mid)) KiB from the middle to the end" \
    "(limit $SOAK_MAX_GROWTH_KIB)" >&2
  status=1
fi

rate=$(awk -v n="${requests:-0}" -v s="${seconds:-0}" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
echo "soak: $secs s, $conns connections, ${requests:-0} requests ($rate req/s), ${errors} errors," \
  "RSS start $(mib "$rss_start"), middle $(mib "$rss_mid"), end $(mib "$rss_end")"
exit "$status"
