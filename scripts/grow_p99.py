#!/usr/bin/env python3
"""Latency of each resource while its store grows past 1,000,000 records, then at that size.

    cargo build --release && python3 scripts/grow_p99.py
    python3 scripts/grow_p99.py --binary /tmp/other/target/release/convmock --label before
    python3 scripts/grow_p99.py --count 100000 --seconds 3   # a smoke test

For each resource (conversations, contacts, groups, messages) it starts a fresh
`convmock --port P --quiet --max-objects M` (the default fixtures, one workspace: every
request carries the same token, and without --isolate all tokens share it), then, with
wrk -t1 -c32 on 127.0.0.1:
1. creates COUNT records (POST, a form body) in one wrk run that stops itself after COUNT
   requests, so the store grows from the fixtures to past COUNT during the run: a contact
   or a group also creates its conversation, a message is sent to the documented
   conversation `xgQQXg3hrtjh7AvZ` (and moves its `last_active_at`);
2. at that size, for SECONDS each: GET by id of a fixture record, an update (PUT, a form
   body) of the same record, and a list page (limit=10; for messages, the page of the
   documented conversation, `?conversation_id=xgQQXg3hrtjh7AvZ`, where all the sent
   messages are).
Each wrk run reports requests per second, p50, p99, p99.9 and the largest latency, and its
errors (socket errors and statuses other than 2xx). The server's RSS is read at the end.

It prints a markdown table and writes target/bench/grow_p99-LABEL.json. Every server it
starts is stopped by its own PID. wrk must be installed (scripts/bench.py installs it).
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "target" / "bench"
TOKEN = "b"
DOC_CONVERSATION = "xgQQXg3hrtjh7AvZ"

# For each resource: the create body (Lua, `n` is the request's number), a fixture record's
# ID, the update body, and the list page's query.
RESOURCES = {
    "conversations": ('"contact_id=c" .. n', DOC_CONVERSATION, "is_muted=true", "limit=10"),
    "contacts": ('"username=u" .. n .. "&phone_number=1-800-" .. n', "WAz8eIbvDR60rouK",
                 "display_name=UncleFrank", "limit=10"),
    "groups": ('"name=g" .. n', "l7cGNIBKZiNJ6wqF", "description=The%20finest", "limit=10"),
    "messages": (f'"conversation_id={DOC_CONVERSATION}&message=m" .. n', "SIuAFUNKdSYHZF2w",
                 "message=edited", f"conversation_id={DOC_CONVERSATION}&limit=10"),
}

LUA = r"""
-- Written by scripts/grow_p99.py. METHOD, PATH and BODY (a Lua expression of n) make the
-- request; with STOP_AFTER > 0 the thread stops itself after that many requests and says so
-- on stderr (wrk's main thread then still waits for -d, until the script interrupts it).
local n = 0
local stop_after = tonumber(os.getenv("STOP_AFTER") or "0")
local headers = { ["Authorization"] = "Bearer %(token)s",
                  ["Content-Type"] = "application/x-www-form-urlencoded" }
local fixed = nil
request = function()
  n = n + 1
  if n == stop_after then
    wrk.thread:stop()
    io.stderr:write("STOPPED\n")
    io.stderr:flush()
  end
  %(make)s
end
done = function(s, lat, req)
  local e = s.errors
  io.write(string.format('WRKJSON {"rps":%%.1f,"p50_us":%%d,"p99_us":%%d,"p999_us":%%d,"max_us":%%d,"errors":%%d,"requests":%%d,"seconds":%%.2f}\n',
    s.requests / (s.duration / 1e6), lat:percentile(50), lat:percentile(99),
    lat:percentile(99.9), lat.max, e.connect + e.read + e.write + e.status + e.timeout,
    s.requests, s.duration / 1e6))
end
"""


def lua(method, path, body):
    """A wrk script: a new request each time when the body depends on n, else one fixed."""
    if body is None:
        make = f'if not fixed then fixed = wrk.format("{method}", "{path}", headers) end return fixed'
    elif "n" in body.replace("\"", " ").split():
        make = f'return wrk.format("{method}", "{path}", headers, {body})'
    else:
        make = f'if not fixed then fixed = wrk.format("{method}", "{path}", headers, "{body}") end return fixed'
    return LUA % {"token": TOKEN, "make": make}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_of(port, path):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                      "Connection: close\r\n\r\n".encode())
            return s.recv(12)[9:12].decode()
    except OSError:
        return None


def rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wrk(port, script, seconds, stop_after=0, connections=32):
    """One wrk run; with `stop_after`, it ends after that many requests (within `seconds`)
    and its rate is counted from the start to that moment."""
    path = OUT / f"load-{os.getpid()}.lua"
    path.write_text(script)
    env = dict(os.environ, STOP_AFTER=str(stop_after))
    t0 = time.monotonic()
    proc = subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s",
                             str(path), f"http://127.0.0.1:{port}"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = None
    if stop_after:
        for line in proc.stderr:
            if line.strip() == "STOPPED":
                elapsed = time.monotonic() - t0
                proc.send_signal(signal.SIGINT)
                break
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed: {err}")
    line = next(l for l in out.splitlines() if l.startswith("WRKJSON "))
    r = json.loads(line[8:])
    seconds = elapsed or r["seconds"]
    return {"rps": r["requests"] / seconds, "p50_ms": r["p50_us"] / 1000,
            "p99_ms": r["p99_us"] / 1000, "p999_ms": r["p999_us"] / 1000,
            "max_ms": r["max_us"] / 1000, "errors": r["errors"], "requests": r["requests"],
            "seconds": seconds}


def start(argv, port, path, timeout):
    """A server process, once it answers GET `path` with a 200."""
    # Room for a million records of each resource in memory too (the variable, not the
    # flag, so that builds from before --max-workspace-mib run the same command).
    env = dict(os.environ, CONVMOCK_MAX_WORKSPACE_MIB="65536")
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + timeout
    while status_of(port, path) != "200":
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"{argv[0]} did not answer GET {path}")
        time.sleep(0.01)
    return proc


def stop(proc):
    """Stops a server this script started, by its PID."""
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def measure(binary, resource, count, seconds):
    """The growing run, then (unless `seconds` is 0) the runs at full size."""
    create, fixture_id, update, query = RESOURCES[resource]
    base = f"/v1/{resource}"
    port = free_port()
    # A contact or a group adds a conversation too: room for both, and for the fixtures.
    argv = [binary, "--port", str(port), "--quiet", "--max-objects", str(count + 1000)]
    proc = start(argv, port, f"{base}/{fixture_id}", 60)
    try:
        res = {"create": wrk(port, lua("POST", base, create), 3600, stop_after=count)}
        if seconds:
            res["get"] = wrk(port, lua("GET", f"{base}/{fixture_id}", None), seconds)
            res["update"] = wrk(port, lua("PUT", f"{base}/{fixture_id}", update), seconds)
            res["list"] = wrk(port, lua("GET", f"{base}?{query}", None), seconds)
        res["rss_mib"] = rss_mib(proc.pid)
        return res
    finally:
        stop(proc)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default=str(ROOT / "target" / "release" / "convmock"))
    ap.add_argument("--label", default="now")
    ap.add_argument("--count", type=int, default=1_000_100)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--resources", default=",".join(RESOURCES))
    ap.add_argument("--creates-only", action="store_true", help="skip the runs at full size")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results = {"label": args.label, "binary": args.binary, "count": args.count,
               "seconds": args.seconds, "started": started,
               "loadavg_start": os.getloadavg()[0], "resources": {}}
    for resource in args.resources.split(","):
        print(f"{resource}: {args.count:,} creates ...", file=sys.stderr, flush=True)
        seconds = 0 if args.creates_only else args.seconds
        results["resources"][resource] = measure(args.binary, resource, args.count, seconds)
    results["loadavg_end"] = os.getloadavg()[0]
    (OUT / f"grow_p99-{args.label}.json").write_text(json.dumps(results, indent=1))
    print(f"\n{args.label}: {started}, load average {results['loadavg_start']:.1f} at the start, "
          f"{results['loadavg_end']:.1f} at the end\n")
    print("| resource | load | requests | req/s | p50 ms | p99 ms | p99.9 ms | max ms | errors |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for resource, res in results["resources"].items():
        for load in ("create", "get", "update", "list"):
            if load not in res:
                continue
            r = res[load]
            print(f"| {resource} | {load} | {r['requests']:,} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | "
                  f"{r['p99_ms']:.2f} | {r['p999_ms']:.2f} | {r['max_ms']:.1f} | {r['errors']} |")
    for resource, res in results["resources"].items():
        if "rss_mib" in res:
            print(f"RSS after {resource}: {res['rss_mib']:.0f} MiB")



if __name__ == "__main__":
    main()
