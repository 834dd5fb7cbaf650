#!/usr/bin/env python3
"""Instructions per request, counted by callgrind on release builds of convmock.

    cargo build --release && python3 scripts/callgrind_requests.py
    python3 scripts/callgrind_requests.py now=target/release/convmock \\
        before=/tmp/before/target/release/convmock     # several builds, side by side

For each build (LABEL=PATH, default `now=target/release/convmock`) and each load below, it
starts the server under `valgrind --tool=callgrind` (default fixtures, one workspace),
warms it up with wrk -t1 -c4 for 2 s, zeroes the counters (`callgrind_control -z`), runs
wrk -t1 -c4 for SECONDS (default 10), dumps the counters (`callgrind_control -d`) and
divides the instructions of that window by the requests wrk saw answered. Start-up and
shut-down are outside the window. Counts are repeatable to about 1-2%, unlike times; the
share of the idle loop per request grows a little when the machine is busy (fewer requests
in the window), so compare builds measured in one run.

Loads: GET by id and a list page (limit=10) of conversations; a message sent (POST, a form
body, to the documented conversation) and a page of that conversation's messages (limit=10).
A build that answers a load with an error (an older one without messages) gets no figure.

The dumps are kept in target/bench/callgrind/LABEL-LOAD.out (callgrind_annotate 3.19
shows such a dump as one `clone` entry); `--top N DUMP...` prints the N functions of most
instructions of their own in each. It prints a markdown table and writes
target/bench/callgrind.json. wrk and valgrind must be installed. Every server it starts is
stopped by its own PID.

    python3 scripts/callgrind_requests.py --top 20 target/bench/callgrind/now-*.out
"""

import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grow_p99 import DOC_CONVERSATION, OUT, ROOT, free_port, lua, start, stop, wrk  # noqa: E402

LOADS = {
    "conversation GET by id": ("GET", f"/v1/conversations/{DOC_CONVERSATION}", None),
    "conversations page": ("GET", "/v1/conversations?limit=10", None),
    "message send": ("POST", "/v1/messages", f'"conversation_id={DOC_CONVERSATION}&message=m" .. n'),
    "messages page": ("GET", f"/v1/messages?conversation_id={DOC_CONVERSATION}&limit=10", None),
    "contact create": ("POST", "/v1/contacts", '"username=u" .. n .. "&phone_number=1"'),
}


def total_ir(path):
    for line in path.read_text().splitlines():
        if line.startswith("summary:") or line.startswith("totals:"):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def measure(label, binary, load, seconds):
    method, target, body = LOADS[load]
    port = free_port()
    out_dir = OUT / "callgrind"
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{label}-{load.replace(' ', '_')}"
    pattern = out_dir / f"{stem}.%p"
    argv = ["valgrind", "--tool=callgrind", "--compress-strings=no",
            f"--callgrind-out-file={pattern}",
            binary, "--port", str(port), "--quiet", "--max-objects", "100000000"]
    proc = start(argv, port, f"/v1/conversations/{DOC_CONVERSATION}", 120)
    try:
        script = lua(method, target, body)
        run = None
        if not wrk(port, script, 2, connections=4)["errors"]:
            subprocess.run(["callgrind_control", "-z", str(proc.pid)], check=True,
                           capture_output=True)
            run = wrk(port, script, seconds, connections=4)
            subprocess.run(["callgrind_control", "-d", str(proc.pid)], check=True,
                           capture_output=True)
            if run["errors"]:
                run = None
    finally:
        stop(proc)
    dump = out_dir / f"{stem}.{proc.pid}.1"
    kept = out_dir / f"{stem}.out"
    if dump.exists():
        dump.replace(kept)
    for rest in out_dir.glob(f"{stem}.{proc.pid}*"):
        rest.unlink()
    if run is None:
        return None
    ir = total_ir(kept)
    return {"instructions": ir, "requests": run["requests"], "per_request": ir / run["requests"],
            "dump": str(kept)}


def top(dump, n):
    """The n functions of most instructions of their own (calls excluded) in a dump written
    with --compress-strings=no."""
    own, fn, after_call = {}, None, False
    for line in Path(dump).read_text().splitlines():
        if line.startswith("fn="):
            fn = line[3:]
        elif line[:1].isdigit() or line[:1] in "+-*":
            # The line after `calls=` is the call's inclusive cost, not the caller's own.
            parts = line.split()
            if not after_call and len(parts) > 1:
                own[fn] = own.get(fn, 0) + int(parts[1])
        after_call = line.startswith("calls=")
    total = sum(own.values())
    print(f"{dump}: {total:,} instructions")
    for name, ir in sorted(own.items(), key=lambda kv: -kv[1])[:n]:
        print(f"{ir:>14,} {100 * ir / total:5.1f}%  {name[:150]}")


def main():
    if sys.argv[1:2] == ["--top"]:
        for dump in sys.argv[3:]:
            top(dump, int(sys.argv[2]))
        return
    builds = [a.split("=", 1) for a in sys.argv[1:]] or [["now", str(ROOT / "target/release/convmock")]]
    seconds = 10
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    res = {}
    for load in LOADS:
        for label, binary in builds:
            print(f"{label}: {load} ...", file=sys.stderr, flush=True)
            res.setdefault(load, {})[label] = measure(label, binary, load, seconds)
    (OUT / "callgrind.json").write_text(json.dumps({"started": started, "builds": builds,
                                                    "results": res}, indent=1))
    print(f"\n{started}, wrk -t1 -c4 for {seconds} s per figure\n")
    print("| load | " + " | ".join(label for label, _ in builds) + " |")
    print("|---|" + "---:|" * len(builds))
    for load, by in res.items():
        cells = [f"{by[label]['per_request']:,.0f} ({by[label]['requests']:,} requests)"
                 if by[label] else "n/a" for label, _ in builds]
        print(f"| {load} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
