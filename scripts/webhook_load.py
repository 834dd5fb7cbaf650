#!/usr/bin/env python3
"""The mixed load of scripts/bench.py with and without two webhook endpoints registered.

    cargo build --release --bin convmock --example bare_hyper && python3 scripts/webhook_load.py
    python3 scripts/webhook_load.py --rounds 1 --seconds 3      # a smoke test
    python3 scripts/webhook_load.py --callgrind --modes a,b,fast,dead   # instructions

Each run starts a fresh `convmock --port P --quiet` (default fixtures, one workspace, room for
every create: --max-objects and --max-workspace-mib set high), then, on 127.0.0.1:
- (a) no webhook; or
- (b) two endpoints registered with `POST /__admin/webhooks {"url": ...}`: a fast receiver,
  the bare_hyper example (a hyper server answering every request with 200 at once, over
  keep-alive, on one thread), and a dead one, a socket of this script that accepts connections and never
  reads nor answers (each attempt waits its 5 s, is retried, its queue fills up, and every
  further event is recorded at once as a dropped, `failed` delivery);
then runs bench.py's mixed load (50% GET by id, 30% list page, 10% update, 10% create; the
same wrk -t1 -c32 --timeout 2s, warmed up for WARMUP seconds, then SECONDS measured).
Runs alternate a, b, a, b... for ROUNDS rounds; the result is the median req/s of each and
their ratio (b / a), with each round's ratio. `--modes a,b,fast,dead` adds runs with only the
fast or only the dead endpoint to each round, to tell their costs apart.

For (b) it also reads, at the end of the measured run, the number of deliveries
`GET /__admin/webhooks/deliveries` lists (bounded by the server: at most 1,000); then it
deletes the dead endpoint (what it had not sent becomes `failed`), flushes the rest
(`POST /__admin/webhooks/flush`), and compares the fast receiver's `delivered` count with the
events the load caused (one per update and per create): whether it kept up. For every run:
convmock's RSS after start-up, after the warm-up and after the measured run, and the CPU
seconds convmock (and the fast receiver) used during the measured run: on a shared machine
the requests served per CPU second of convmock's vary far less than the requests per
second, which follow what the other processes leave.

With `--callgrind` it counts instructions per request instead, for each mode once, with
convmock under `valgrind --tool=callgrind` (see callgrind_requests.py; the counters cover the
measured run only), and the deliveries' counts after it: even there the fast receiver does
not get every event (one delivery at a time, each waiting for its answer), so the figure of
a mode with it holds the cost of the deliveries made plus that of the events dropped.

It prints a markdown summary and writes target/bench/webhook_load.json (webhook_callgrind.json). Every process it
starts is stopped by its own PID; the dead socket and its connections are closed at the end.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

# The mixed load's share of requests that change a conversation (one event each): in
# bench.py's LUA, request n is an update when n % 10 == 8 and a create when n % 10 == 9.
EVENTS_PER_REQUEST = 0.2
# The flags every run starts convmock with: every create of the runs fits.
ROOMY = ["--max-objects", "1000000000", "--max-workspace-mib", "65536"]
# The endpoints each mode registers.
MODES = {"a": (), "b": ("fast", "dead"), "fast": ("fast",), "dead": ("dead",)}
NAMES = {"a": "no webhook", "b": "fast + dead webhooks", "fast": "fast webhook only",
         "dead": "dead webhook only"}


class DeadReceiver:
    """A listening socket on 127.0.0.1 that accepts connections and never reads or answers
    them; at most `keep` are held open (the oldest is closed past that)."""

    def __init__(self, keep=256):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.keep = keep
        self.held = []
        self.accepted = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, socket.timeout, OSError):
                continue
            self.accepted += 1
            self.held.append(conn)
            if len(self.held) > self.keep:
                self.held.pop(0).close()

    def close(self):
        self.stopping.set()
        self.thread.join(timeout=5)
        for conn in self.held:
            conn.close()
        self.sock.close()


def admin(port, method, path, body=None, timeout=60):
    """An admin call; the answer's status and its parsed JSON (None for an empty body)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            text = r.read()
            return r.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, (json.loads(text) if text else None)


def cpu_seconds(pid):
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average():
    return os.getloadavg()[0]


def register(port, mode, fast, dead):
    """Registers the endpoints of `mode` with the server on `port`; their IDs by name."""
    ports = {"fast": fast.port, "dead": dead.port}
    hooks = {}
    for name in MODES[mode]:
        status, body = admin(port, "POST", "/__admin/webhooks",
                             {"url": f"http://127.0.0.1:{ports[name]}/hook"})
        if status != 201:
            raise RuntimeError(f"registering the {name} webhook: {status} {body}")
        hooks[name] = body["id"]
    return hooks


def callgrind(mode, seconds, warmup, fast, dead):
    """Instructions per request of the mixed load, counted by callgrind as
    scripts/callgrind_requests.py does (the counters zeroed after the warm-up, dumped after
    the measured run), and the deliveries' counts after the run."""
    out_dir = bench.OUT / "callgrind"
    out_dir.mkdir(parents=True, exist_ok=True)
    dump = out_dir / f"webhook-{mode}.out"
    argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={dump}",
            bench.CONVMOCK, "--port", "{port}", "--quiet", *ROOMY]
    with bench.Server(argv) as s:
        register(s.port, mode, fast, dead)
        bench.wrk(s.url("/"), warmup, "mixed")
        subprocess.run(["callgrind_control", "-z", str(s.proc.pid)], check=True, capture_output=True)
        w = bench.wrk(s.url("/"), seconds, "mixed")
        subprocess.run(["callgrind_control", "-d", str(s.proc.pid)], check=True, capture_output=True)
        _, counts = admin(s.port, "POST", "/__admin/webhooks/flush", {"timeout_ms": 1000})
    # callgrind_control -d wrote NAME.1; the end of the process, NAME (kept: the window's).
    window = out_dir / f"{dump.name}.1"
    ir = next(int(line.split()[1]) for line in window.read_text().splitlines()
              if line.startswith(("summary:", "totals:")))
    window.replace(dump)
    return {"mode": mode, "instructions": ir, "requests": w["requests"], "errors": w["errors"],
            "per_request": ir / w["requests"], "flush": counts}


def run(mode, seconds, warmup, fast, dead):
    """One run on a fresh server, with the endpoints of `mode` (a key of MODES)."""
    res = {"mode": mode, "load_before": load_average()}
    with bench.Server([bench.CONVMOCK, "--port", "{port}", "--quiet", *ROOMY]) as s:
        pid = s.proc.pid
        hooks = register(s.port, mode, fast, dead)
        res["rss_start_mib"] = s.rss_mib()
        warm = bench.wrk(s.url("/"), warmup, "mixed")
        res["rss_warm_mib"] = s.rss_mib()
        cpu0 = cpu_seconds(pid)
        fast_cpu0 = cpu_seconds(fast.proc.pid)
        res["load"] = bench.wrk(s.url("/"), seconds, "mixed")
        res["cpu_s"] = cpu_seconds(pid) - cpu0
        res["fast_cpu_s"] = cpu_seconds(fast.proc.pid) - fast_cpu0
        res["rss_end_mib"] = s.rss_mib()
        res["load_after"] = load_average()
        if hooks:
            _, listed = admin(s.port, "GET", "/__admin/webhooks/deliveries")
            res["deliveries_listed"] = len(listed["deliveries"])
            if "dead" in hooks:
                status, _ = admin(s.port, "DELETE", f"/__admin/webhooks/{hooks['dead']}")
                if status != 204:
                    raise RuntimeError(f"deleting the dead webhook: {status}")
            t0 = time.monotonic()
            status, counts = admin(s.port, "POST", "/__admin/webhooks/flush", {"timeout_ms": 60000},
                                   timeout=90)
            res["flush_s"] = time.monotonic() - t0
            res["flush"] = counts
            res["events_expected"] = round(EVENTS_PER_REQUEST * (warm["requests"] + res["load"]["requests"]))
            res["rss_flushed_mib"] = s.rss_mib()
    return res


def per_cpu(r):
    """Requests answered in the measured run per CPU second convmock used in it."""
    return r["load"]["requests"] / r["cpu_s"]


def summary(runs, modes, seconds, rounds):
    by = {m: [r for r in runs if r["mode"] == m] for m in modes}
    med = {m: statistics.median(r["load"]["rps"] for r in by[m]) for m in modes}
    med_cpu = {m: statistics.median(per_cpu(r) for r in by[m]) for m in modes}
    lines = [f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by "
             f"`python3 scripts/webhook_load.py` ({rounds} rounds, {seconds} s each).", "",
             "| run | load avg (1 min, before → after) | req/s | p50 ms | p99 ms | errors | convmock CPU s | req per CPU s | receiver CPU s | RSS MiB start → warm → end | deliveries listed | fast receiver delivered / events |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|"]
    for i, r in enumerate(runs):
        w = r["load"]
        name = f"{i // len(modes) + 1}{r['mode']}: {NAMES[r['mode']]}"
        listed = r.get("deliveries_listed", "–")
        kept = (f"{r['flush']['delivered']:,} / {r['events_expected']:,}"
                if "fast" in MODES[r["mode"]] else "–")
        lines.append(f"| {name} | {r['load_before']:.2f} → {r['load_after']:.2f} | {w['rps']:,.0f} | "
                     f"{w['p50_ms']:.2f} | {w['p99_ms']:.2f} | {w['errors']} | {r['cpu_s']:.1f} | "
                     f"{per_cpu(r):,.0f} | "
                     f"{r['fast_cpu_s']:.1f} | {r['rss_start_mib']:.1f} → {r['rss_warm_mib']:.1f} → "
                     f"{r['rss_end_mib']:.1f} | {listed} | {kept} |")
    lines.append("")
    ratios = {}
    for m in modes:
        if m == "a":
            continue
        ratios[m] = [x["load"]["rps"] / a["load"]["rps"] for a, x in zip(by["a"], by[m])]
        lines.append(f"Median: (a) {med['a']:,.0f} req/s, ({m}) {med[m]:,.0f} req/s; ({m}) / (a) = "
                     f"{med[m] / med['a']:.3f} (each round: {', '.join(f'{x:.3f}' for x in ratios[m])}); "
                     f"requests per CPU second of convmock: {med_cpu['a']:,.0f} and {med_cpu[m]:,.0f}, "
                     f"({m}) / (a) = {med_cpu[m] / med_cpu['a']:.3f}.")
    return "\n".join(lines), med, ratios


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--modes", default="a,b", help="of a (no webhook), b (fast and dead), fast, dead")
    ap.add_argument("--callgrind", action="store_true",
                    help="instructions per request under callgrind instead of requests per second")
    args = ap.parse_args()
    modes = args.modes.split(",")
    if "a" not in modes or not set(modes) <= set(MODES):
        sys.exit(f"--modes: a and any of {', '.join(MODES)}")
    bench.OUT.mkdir(parents=True, exist_ok=True)
    for path in (bench.CONVMOCK, bench.BARE):
        if not path.exists():
            sys.exit(f"{path} is missing: cargo build --release --bin convmock --example bare_hyper")
    dead = DeadReceiver()
    fast = None
    runs = []
    try:
        # One thread, as a receiver in a test suite has (Python's http.server, Node's http):
        # on two cores shared with wrk and convmock, a receiver of a thread per core would
        # take its turns from them at every delivery.
        fast = bench.Server([bench.BARE, "--port", "{port}"],
                            env={**os.environ, "TOKIO_WORKER_THREADS": "1"})
        if args.callgrind:
            counted = [callgrind(mode, args.seconds, args.warmup, fast, dead) for mode in modes]
            (bench.OUT / "webhook_callgrind.json").write_text(json.dumps(counted, indent=2))
            print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
                  f"{load_average():.2f}\n\n| endpoints | instructions per request | requests | "
                  "errors | deliveries after the run |\n|---|---:|---:|---:|---|")
            for c in counted:
                print(f"| {NAMES[c['mode']]} | {c['per_request']:,.0f} | {c['requests']:,} | "
                      f"{c['errors']} | {c['flush']} |")
            return None
        for _ in range(args.rounds):
            for mode in modes:
                runs.append(run(mode, args.seconds, args.warmup, fast, dead))
                r = runs[-1]
                print(f"{mode}: {r['load']['rps']:,.0f} req/s, load {r['load_before']:.2f}", file=sys.stderr)
    finally:
        if fast is not None:
            fast.stop()
        dead.close()
    text, med, ratios = summary(runs, modes, args.seconds, args.rounds)
    (bench.OUT / "webhook_load.json").write_text(json.dumps(
        {"runs": runs, "median_rps": med, "ratios": ratios, "dead_connections": dead.accepted}, indent=2))
    print(text)
    print(f"\nThe dead receiver accepted {dead.accepted} connections.")


if __name__ == "__main__":
    sys.exit(main())
