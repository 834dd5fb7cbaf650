#!/usr/bin/env bash
# Fuzzes the running server against its own /openapi.json with schemathesis, with every check
# (--checks all: server errors, status codes, content types, response schemas and headers,
# valid data accepted, invalid data rejected, auth, 405s and Allow, use after delete, created
# resources available), in every profile and under each base path, through all four phases:
# the documented examples, coverage, fuzzing, and stateful sequences along links (the
# document's create -> retrieve, update, delete, and those schemathesis infers).
#
#   scripts/fuzz_openapi.sh [BINARY] [MAX_EXAMPLES]
#
# Needs `schemathesis` 4.x on PATH (.ci/run installs it in target/ci-venv). Prints what each
# run did and every failure in full, keeps all output in target/fuzz.log, and exits non-zero
# on any failure, or when the examples or the document's links went unused.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
binary=$(realpath "${1:-target/debug/convmock}")
examples=${2:-50}
log=$root/target/fuzz.log
mkdir -p target
: >"$log"

# What a run did, from its event stream: the requests of each phase, and the stateful
# scenarios with their steps along links. Fails when the examples phase sent nothing or no
# step followed one of the document's own links.
summarize() {
  python3 - "$1" <<'PY'
import collections, json, sys

requests = collections.Counter()
operations = collections.Counter()
links = collections.Counter()
with open(sys.argv[1]) as events:
    for line in events:
        finished = json.loads(line).get("ScenarioFinished")
        if not finished or "cases" not in finished["recorder"]:
            continue
        phase, cases = finished["phase"], finished["recorder"]["cases"].values()
        requests[phase] += len(cases)
        operations[phase] += 1
        for case in cases:
            if case.get("is_transition_applied"):
                links["inferred" if case["transition"]["is_inferred"] else "document"] += 1
print(
    f"   examples: {requests['examples']} requests over {operations['examples']} operations;"
    f" coverage: {requests['coverage']}; fuzzing: {requests['fuzzing']};"
    f" stateful: {operations['stateful']} scenarios, {requests['stateful']} requests,"
    f" {links['document']} steps along the document's links, {links['inferred']} along"
    " inferred ones"
)
if not (requests["examples"] and links["document"]):
    sys.exit("   the examples or the document's links went unused")
PY
}

status=0
runs=0
start=$SECONDS
for profile in self oblic protocol; do
  # Each base path in a run of its own. Both serve one store, and schemathesis infers links
  # across them too: after `POST /external/conversations` and `DELETE /v1/conversations/{id}`
  # of what it created, the 404 under /external is right, but ensure_resource_availability
  # would report the created conversation as lost. Within one base, every check holds.
  for base in /v1 /external; do
  # The conversations alone, with every check; then contacts, groups and messages with every
  # check but ensure_resource_availability. Their cascades delete on purpose what another
  # step created: a message whose conversation's contact a later step deleted is rightly a
  # 404, which that check reports as a created resource lost (ST302).
  for part in conversations chat; do
    if [ "$part" = conversations ]; then
      paths="^$base/conversations"
      skip=()
    else
      paths="^$base/(contacts|groups|messages)"
      skip=(--exclude-checks ensure_resource_availability)
    fi
    ready=$(mktemp)
    # A fresh server per run, so that each starts from the documented data the examples
    # name. --token: a listed token, so that the "any token works" probe is refused.
    "$binary" --port 0 --quiet --profile "$profile" --token fuzz-token --seed 1 >"$ready" &
    pid=$!
    for _ in $(seq 100); do [ -s "$ready" ] && break; sleep 0.05; done
    url=$(sed -n 's/^listening on //p' "$ready")
    rm -f "$ready"
    if [ -z "$url" ]; then
      echo "convmock did not start (profile $profile)" >&2
      kill "$pid" 2>/dev/null || true
      exit 1
    fi
    echo "== schemathesis, profile $profile, $base, $part, up to $examples examples per operation"
    output=$(mktemp)
    events=$(mktemp)
    # Run from target/: schemathesis keeps its cache of failures in ./.schemathesis.
    if (cd target && schemathesis --config-file "$root/scripts/schemathesis.toml" run \
        "$url/openapi.json" --include-path-regex "$paths" \
        --checks all "${skip[@]}" -H "Authorization: Bearer fuzz-token" \
        --max-examples "$examples" --seed 1 --workers 1 --no-color \
        --report ndjson --report-ndjson-path "$events") >"$output" 2>&1; then
      grep -E 'generated,|^=+ .* in [0-9.]+s =+$' "$output" || true
    else
      cat "$output"
      status=1
    fi
    summarize "$events" || status=1
    cat "$output" >>"$log"
    rm -f "$output" "$events"
    kill "$pid"
    wait "$pid" || true
    runs=$((runs + 1))
  done
  done
done
if [ "$status" = 0 ]; then verdict="no failures"; else verdict="FAILURES, above"; fi
echo "schemathesis: $runs runs (3 profiles x 2 base paths x 2 parts) in $((SECONDS - start)) s: $verdict"
exit "$status"
