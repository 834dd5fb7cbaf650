#!/usr/bin/env python3
"""convmock's performance, side by side with the bare-hyper limit and the peer mock servers.

    python3 scripts/bench.py            # everything, about 15 minutes on two cores
    python3 scripts/bench.py --no-peers # convmock and bare hyper only
    python3 scripts/bench.py --quick    # 3 s load runs and 100,000 conversations: a smoke test

What it measures, on 127.0.0.1, for any server command (see SERVERS):
- start-up: spawn to the first successful GET by id (median of 9 starts);
- idle RSS, and RSS with 100,000 and 1,000,000 conversations loaded from fixtures;
- wrk -t1 -c32 --latency (10 s each): GET by id, a list page (limit=10), a filtered page,
  create, update and a mixed load; GET by id alternates between convmock and bare hyper, three
  rounds, so that the ratio comes from neighbouring runs;
- a list page with 1,000,000 conversations against the same page with 10;
- the peers (json-server, Prism, Mockoon) and an nginx ceiling through ../shared/bench/peers,
  with convmock and bare hyper run through the same harness in the same run.

It writes target/bench/results.json, the generated part of BENCHMARKS.md (between the
markers), and the chart benches/results.svg that the README shows. It installs wrk from the
system packages when missing. Every server it starts is stopped by its own PID.
"""

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "target" / "bench"
CONVMOCK = ROOT / "target" / "release" / "convmock"
BARE = ROOT / "target" / "release" / "examples" / "bare_hyper"
DOC_ID = "xgQQXg3hrtjh7AvZ"
MARK_BEGIN = "<!-- bench.py: begin -->"
MARK_END = "<!-- bench.py: end -->"


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def get_ok(port, path):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer b\r\nConnection: close\r\n\r\n".encode())
            return s.recv(12).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


class Server:
    """A server process on a fixed free port, stopped on exit by its PID."""

    def __init__(self, argv, ready_timeout=120, env=None):
        self.port = free_port()
        self.proc = subprocess.Popen([str(a).replace("{port}", str(self.port)) for a in argv],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + ready_timeout
        while not get_ok(self.port, f"/v1/conversations/{DOC_ID}"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{argv[0]} did not answer")
            time.sleep(0.005)

    def url(self, path=""):
        return f"http://127.0.0.1:{self.port}{path}"

    def rss_mib(self):
        return rss_kib(self.proc.pid) / 1024

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def startup_ms(argv, starts=9):
    """Spawn to the first 200 for GET by id, polled every millisecond; the median."""
    times = []
    for _ in range(starts):
        port = free_port()
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(a).replace("{port}", str(port)) for a in argv],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not get_ok(port, f"/v1/conversations/{DOC_ID}"):
            time.sleep(0.001)
        times.append((time.perf_counter() - t0) * 1000)
        proc.terminate()
        proc.wait()
    return statistics.median(times), times


LUA = r"""
local mode = os.getenv("MODE")
local n = 0
local form = { ["Content-Type"] = "application/x-www-form-urlencoded", ["Authorization"] = "Bearer b" }
wrk.headers["Authorization"] = "Bearer b"
request = function()
  n = n + 1
  if mode == "create" then
    return wrk.format("POST", "/v1/conversations", form, "contact_id=c" .. n)
  elseif mode == "update" then
    return wrk.format("PUT", "/v1/conversations/xgQQXg3hrtjh7AvZ", form, "is_muted=" .. tostring(n % 2 == 0))
  elseif mode == "mixed" then
    local k = n % 10
    if k < 5 then return wrk.format("GET", "/v1/conversations/xgQQXg3hrtjh7AvZ")
    elseif k < 8 then return wrk.format("GET", "/v1/conversations?limit=10")
    elseif k == 8 then return wrk.format("PUT", "/v1/conversations/hSIhXBhNe8X1d8Et", form, "is_pinned=" .. tostring(n % 20 == 8))
    else return wrk.format("POST", "/v1/conversations", form, "group_id=g" .. n) end
  end
  return wrk.format("GET", wrk.path)
end
done = function(s, lat, req)
  local e = s.errors
  io.write(string.format('WRKJSON {"rps":%.1f,"p50_us":%d,"p99_us":%d,"errors":%d,"requests":%d}\n',
    s.requests / (s.duration / 1e6), lat:percentile(50), lat:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout, s.requests))
end
"""


def wrk(url, seconds, mode="get"):
    script = OUT / "load.lua"
    script.write_text(LUA)
    env = dict(os.environ, MODE=mode)
    text = sh(["wrk", "-t1", "-c32", f"-d{seconds}s", "--timeout", "2s", "--latency", "-s", str(script), url],
              env=env)
    line = next(l for l in text.splitlines() if l.startswith("WRKJSON "))
    r = json.loads(line[8:])
    return {"rps": r["rps"], "p50_ms": r["p50_us"] / 1000, "p99_ms": r["p99_us"] / 1000,
            "errors": r["errors"], "requests": r["requests"]}


def fixtures(n, path):
    """n conversations like the documented ones: 16-character IDs, a contact or a group."""
    if path.exists():
        return path
    with path.open("w") as f:
        f.write('{"conversations": [\n')
        for i in range(n):
            sep = ",\n" if i else ""
            other = f'"contact_id": "C{i:015d}"' if i % 2 else f'"group_id": "G{i % 1000:015d}"'
            f.write(f'{sep}{{"id": "x{i:015d}", {other}, "is_muted": {"true" if i % 3 == 0 else "false"}, '
                    f'"last_active_at": {1700000000 + i}, "created_at": {1600000000 + i // 4}}}')
        f.write(f',\n{{"id": "{DOC_ID}", "contact_id": "WAz8eIbvDR60rouK", "created_at": 692233200}}\n]}}\n')
    return path


def measure_ours(load_s, sizes):
    conv = [CONVMOCK, "--port", "{port}", "--quiet"]
    bare = [BARE, "--port", "{port}"]
    res = {}
    res["startup_ms"], res["startup_all"] = startup_ms(conv)
    res["bare_startup_ms"], _ = startup_ms(bare)
    with Server(conv) as s:
        time.sleep(1)
        res["idle_rss_mib"] = s.rss_mib()
    with Server(bare) as b:
        time.sleep(1)
        res["bare_idle_rss_mib"] = b.rss_mib()

    # GET by id, alternating with bare hyper: three neighbouring pairs. The create load adds
    # far more conversations than --max-objects allows by default.
    path = f"/v1/conversations/{DOC_ID}"
    pairs = []
    with Server(conv + ["--max-objects", "1000000000"]) as s, Server(bare) as b:
        wrk(s.url(path), 2)
        wrk(b.url(path), 2)
        for _ in range(3):
            pairs.append((wrk(b.url(path), load_s), wrk(s.url(path), load_s)))
        res["by_id_pairs"] = pairs
        for name, url, mode in [
            ("list", s.url("/v1/conversations?limit=10"), "get"),
            ("list_filtered", s.url("/v1/conversations?limit=10&muted=false&archived=false"), "get"),
            ("update", s.url("/"), "update"),
            ("mixed", s.url("/"), "mixed"),
            ("create", s.url("/"), "create"),
        ]:
            res[name] = wrk(url, load_s, mode)
        res["rss_after_load_mib"] = s.rss_mib()

    # Memory per conversation, and the list page at 1,000,000 against 10.
    base_fix = fixtures(10 - 1, OUT / "fixtures-10.json")
    with Server([CONVMOCK, "--port", "{port}", "--quiet", "--fixtures", base_fix]) as s:
        time.sleep(1)
        res["rss_10_mib"] = s.rss_mib()
        wrk(s.url("/v1/conversations?limit=10"), 2)
        res["list_10"] = wrk(s.url("/v1/conversations?limit=10"), load_s)
    for n in sizes:
        path_n = fixtures(n - 1, OUT / f"fixtures-{n}.json")
        t0 = time.perf_counter()
        with Server([CONVMOCK, "--port", "{port}", "--quiet", "--fixtures", path_n], ready_timeout=600) as s:
            res[f"load_{n}_s"] = time.perf_counter() - t0
            time.sleep(2)
            res[f"rss_{n}_mib"] = s.rss_mib()
            if n == max(sizes):
                wrk(s.url("/v1/conversations?limit=10"), 2)
                res[f"list_{n}"] = wrk(s.url("/v1/conversations?limit=10"), load_s)
    return res


def run_peers(load_s):
    src = ROOT.parent / "shared" / "bench" / "peers"
    dst = OUT / "peers"
    if not dst.exists():
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("node_modules", "out", "data"))
    subprocess.run(["bash", "setup.sh"], cwd=dst, check=True)
    env = dict(os.environ, DURATION=f"{load_s}s")
    results = dst / "out" / "results.tsv"
    if results.exists():
        results.unlink()
    runs = [
        ["--preset", "json-server", "--n", "10"],
        ["--preset", "prism", "--n", "10"],
        ["--preset", "mockoon", "--n", "10"],
        ["--preset", "nginx-ref"],
        ["--name", "convmock", "--label", "n7", "--id", DOC_ID, "--",
         str(CONVMOCK), "--port", "{port}", "--quiet", "--no-auth"],
        ["--name", "bare-hyper", "--label", "fixed", "--id", DOC_ID, "--ids", DOC_ID, "--",
         str(BARE), "--port", "{port}"],
    ]
    for args in runs:
        subprocess.run(["bash", "run.sh", *args], cwd=dst, env=env, check=True)
    rows = [l.split("\t") for l in results.read_text().splitlines()]
    head = rows[0]
    return [dict(zip(head, r)) for r in rows[1:]]


def versions():
    v = {"machine": f"{os.cpu_count()} CPUs, {platform.machine()}, Linux {platform.release()}"}
    try:
        v["cpu"] = next(l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                        if l.startswith("model name"))
    except StopIteration:
        pass
    v["rustc"] = sh(["rustc", "--version"]).strip()
    v["wrk"] = (subprocess.run(["wrk", "--version"], text=True, capture_output=True).stdout.splitlines() or ["?"])[0]
    return v


def chart(res, peers, path):
    """A horizontal bar chart of GET-by-id requests per second, as SVG."""
    bars = [("bare hyper (limit)", statistics.median(p[0]["rps"] for p in res["by_id_pairs"]), "#888"),
            ("convmock", statistics.median(p[1]["rps"] for p in res["by_id_pairs"]), "#2a7")]
    for row in peers:
        if row["name"] in ("json-server", "prism", "mockoon"):
            bars.append((row["name"], float(row["byid_rps"]), "#c63"))
    top = max(v for _, v, _ in bars)
    width, left, bar_h = 640, 150, 26
    height = 40 + len(bars) * (bar_h + 8)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="13">',
           f'<text x="10" y="20" font-weight="bold">GET by id, requests per second (wrk -t1 -c32, one run, same machine)</text>']
    for i, (name, v, color) in enumerate(bars):
        y = 34 + i * (bar_h + 8)
        w = max(1, (width - left - 90) * v / top)
        out.append(f'<text x="{left - 8}" y="{y + 18}" text-anchor="end">{name}</text>')
        out.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}"/>')
        out.append(f'<text x="{left + w + 6:.1f}" y="{y + 18}">{v:,.0f}</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")


def report(res, peers, ver, load_s, sizes):
    byid_bare = statistics.median(p[0]["rps"] for p in res["by_id_pairs"])
    byid_conv = statistics.median(p[1]["rps"] for p in res["by_id_pairs"])
    ratios = [p[1]["rps"] / p[0]["rps"] for p in res["by_id_pairs"]]
    p99 = statistics.median(p[1]["p99_ms"] for p in res["by_id_pairs"])
    peer_best = max((float(r["byid_rps"]) for r in peers if r["name"] in ("json-server", "prism", "mockoon")),
                    default=0.0)
    big = max(sizes)
    per_conv = (res[f"rss_{big}_mib"] - res["rss_10_mib"]) * 1024 * 1024 / big
    lines = [MARK_BEGIN, "",
             f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `python3 scripts/bench.py`"
             f" (load runs of {load_s} s). Machine: {ver.get('cpu', '?')}, {ver['machine']}; {ver['rustc']}; {ver['wrk']}.",
             "", "### Targets", "",
             "| target | measured | met |", "|---|---|---|",
             f"| GET by id ≥ 85% of bare hyper | {byid_conv:,.0f} vs {byid_bare:,.0f} req/s: {100 * statistics.median(ratios):.0f}% (pairs: {', '.join(f'{100 * r:.0f}%' for r in ratios)}) | {'yes' if statistics.median(ratios) >= 0.85 else 'no'} |",
             f"| GET by id ≥ 20× the best peer | {byid_conv / peer_best:.1f}× ({peer_best:,.0f} req/s)" if peer_best else "| GET by id ≥ 20× the best peer | peers not run",
             ]
    if peer_best:
        lines[-1] += f" | {'yes' if byid_conv >= 20 * peer_best else 'no'} |"
    else:
        lines[-1] += " | – |"
    lines += [
        f"| GET by id p99 ≤ 2 ms | {p99:.2f} ms (median of three runs) | {'yes' if p99 <= 2 else 'no'} |",
        f"| start-up ≤ 20 ms (median of 9) | {res['startup_ms']:.1f} ms (bare hyper {res['bare_startup_ms']:.1f} ms) | {'yes' if res['startup_ms'] <= 20 else 'no'} |",
        f"| idle RSS ≤ 10 MiB | {res['idle_rss_mib']:.1f} MiB (bare hyper {res['bare_idle_rss_mib']:.1f} MiB) | {'yes' if res['idle_rss_mib'] <= 10 else 'no'} |",
        f"| ≤ 400 bytes per conversation at {big:,} | {per_conv:.0f} bytes ({res[f'rss_{big}_mib']:.1f} MiB with {big:,}, {res['rss_10_mib']:.1f} MiB with 10) | {'yes' if per_conv <= 400 else 'no'} |",
        f"| list page with {big:,} within 2× of 10 | {res[f'list_{big}']['rps']:,.0f} vs {res['list_10']['rps']:,.0f} req/s: {res['list_10']['rps'] / res[f'list_{big}']['rps']:.2f}× the cost | {'yes' if res['list_10']['rps'] / res[f'list_{big}']['rps'] <= 2 else 'no'} |",
        "", "### convmock under load (wrk -t1 -c32, 7 fixture conversations)", "",
        "| load | req/s | p50 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|",
    ]
    rows = [("GET by id (median of 3)", {"rps": byid_conv, "p50_ms": statistics.median(p[1]['p50_ms'] for p in res['by_id_pairs']), "p99_ms": p99, "errors": sum(p[1]['errors'] for p in res['by_id_pairs'])}),
            ("bare hyper, fixed body (median of 3)", {"rps": byid_bare, "p50_ms": statistics.median(p[0]['p50_ms'] for p in res['by_id_pairs']), "p99_ms": statistics.median(p[0]['p99_ms'] for p in res['by_id_pairs']), "errors": sum(p[0]['errors'] for p in res['by_id_pairs'])}),
            ("list page, limit=10", res["list"]),
            ("list page, limit=10, muted=false&archived=false", res["list_filtered"]),
            ("create (POST form)", res["create"]),
            ("update (PUT form)", res["update"]),
            ("mixed: 50% GET by id, 30% list, 10% update, 10% create", res["mixed"])]
    for name, r in rows:
        lines.append(f"| {name} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} |")
    lines += ["", "### Memory", "",
              "| state | RSS MiB |", "|---|---:|",
              f"| idle, documented fixtures | {res['idle_rss_mib']:.1f} |",
              f"| after the load runs above | {res['rss_after_load_mib']:.1f} |",
              f"| 10 conversations | {res['rss_10_mib']:.1f} |"]
    for n in sizes:
        lines.append(f"| {n:,} conversations (loaded in {res[f'load_{n}_s']:.1f} s) | {res[f'rss_{n}_mib']:.1f} |")
    if peers:
        lines += ["", "### Side by side with the peers (../shared/bench/peers/run.sh, same run)", "",
                  "| tool | start-up ms (median of 5) | idle RSS MiB | GET id req/s | p50 / p99 ms | list req/s | p50 / p99 ms | mixed req/s | p50 / p99 ms | errors |",
                  "|---|---:|---:|---:|---|---:|---|---:|---|---|"]
        for r in peers:
            lines.append(f"| {r['name']} ({r['label']}) | {r['startup_ms_median']} | {r['rss_idle_mib']} | {float(r['byid_rps']):,.0f} | {r['byid_p50_ms']} / {r['byid_p99_ms']} | {float(r['list_rps']):,.0f} | {r['list_p50_ms']} / {r['list_p99_ms']} | {float(r['mixed_rps']):,.0f} | {r['mixed_p50_ms']} / {r['mixed_p99_ms']} | {r['byid_errs']}/{r['list_errs']}/{r['mixed_errs']} |")
        lines += ["", "Conformance (the harness's conform.py, first fresh instance):", ""]
        for r in peers:
            lines.append(f"- {r['name']}: {r['conformance']}")
    lines += ["", "![GET by id, requests per second](benches/results.svg)", "", MARK_END]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-peers", action="store_true")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if shutil.which("wrk") is None:
        subprocess.run("apt-get update -qq && apt-get install -y -qq wrk", shell=True, check=True)
    subprocess.run(["cargo", "build", "--release", "--bin", "convmock", "--example", "bare_hyper"],
                   cwd=ROOT, check=True)
    load_s = 3 if args.quick else 10
    sizes = [100_000] if args.quick else [100_000, 1_000_000]
    ver = versions()
    res = measure_ours(load_s, sizes)
    peers = [] if args.no_peers else run_peers(load_s)
    (OUT / "results.json").write_text(json.dumps({"versions": ver, "ours": res, "peers": peers}, indent=2))
    chart(res, peers, ROOT / "benches" / "results.svg")
    section = report(res, peers, ver, load_s, sizes)
    bench_md = ROOT / "BENCHMARKS.md"
    text = bench_md.read_text()
    if MARK_BEGIN in text:
        text = text[:text.index(MARK_BEGIN)] + section + text[text.index(MARK_END) + len(MARK_END):]
    else:
        text += "\n## Performance, side by side\n\n" + section + "\n"
    bench_md.write_text(text)
    print(section)


if __name__ == "__main__":
    sys.exit(main())
