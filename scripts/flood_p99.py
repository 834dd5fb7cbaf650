#!/usr/bin/env python3
"""What one hostile client costs the others: GET-by-id latency while another client posts
1 MiB form bodies of 200,000 names in a loop, beside the same GETs with no flood.

Usage: scripts/flood_p99.py [BINARY] [SECONDS]   (default: target/release/convmock, 10 s)

Prints the median and p99 of each phase and how many floods were answered. Loopback only;
both phases are bounded in time.
"""

import http.client
import statistics
import subprocess
import sys
import threading
import time

BINARY = sys.argv[1] if len(sys.argv) > 1 else "target/release/convmock"
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
TOKEN = {"Authorization": "Bearer flood"}


def start():
    proc = subprocess.Popen([BINARY, "--port", "0", "--quiet"], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    host, port = line.rsplit("/", 1)[1].split(":")
    return proc, host, int(port)


def gets(host, port, seconds):
    """Sequential GETs by id on one keep-alive connection; latencies in milliseconds."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    latencies = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.perf_counter()
        conn.request("GET", "/v1/conversations/xgQQXg3hrtjh7AvZ", headers=TOKEN)
        resp = conn.getresponse()
        resp.read()
        latencies.append((time.perf_counter() - t) * 1000)
        assert resp.status == 200, resp.status
    return latencies


def flood(host, port, stop, answered):
    # 200,000 distinct names, just under 1 MiB.
    body = "&".join(f"n{i:05d}" for i in range(200_000)).encode()[: (1 << 20) - 1]
    headers = dict(TOKEN, **{"Content-Type": "application/x-www-form-urlencoded"})
    conn = http.client.HTTPConnection(host, port, timeout=60)
    while not stop.is_set():
        conn.request("POST", "/v1/conversations", body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        answered.append(resp.status)


def summary(name, latencies):
    latencies = sorted(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(f"{name}: {len(latencies)} GETs, median {statistics.median(latencies):.3f} ms, "
          f"p99 {p99:.3f} ms, max {latencies[-1]:.3f} ms")


def main():
    proc, host, port = start()
    try:
        summary("quiet", gets(host, port, SECONDS))
        stop, answered = threading.Event(), []
        flooder = threading.Thread(target=flood, args=(host, port, stop, answered))
        flooder.start()
        time.sleep(0.2)
        loud = gets(host, port, SECONDS)
        stop.set()
        flooder.join(timeout=60)
        summary("under flood", loud)
        print(f"floods answered: {len(answered)}, statuses {sorted(set(answered))}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
