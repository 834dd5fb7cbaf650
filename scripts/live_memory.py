#!/usr/bin/env python3
"""What a live event stream that is never read costs the server: VmRSS (from
/proc/PID/status) while events of 16 KiB go by, first with no stream open, then with
subscribers that open GET /__admin/events as text/event-stream and never read a byte.

Usage: scripts/live_memory.py [--binary target/release/convmock] [--events 1000]
                              [--subscribers 8]

Each event is a message.updated of a 4,096-character message of 4-byte UTF-8 (about
16 KiB of JSON): a PUT that sets the message's text, so the store keeps one message
and only the events move. The ring is filled first, so that what it holds stays the same
size. Then, at each stage, --events more: with no subscriber, with one, and with
--subscribers. At the end the subscribers read what they were sent and count the events
they were told they lost (event: lost). Servers bind 127.0.0.1; only the process this
script starts is stopped, by its handle.
"""

import argparse
import http.client
import json
import re
import socket
import subprocess
import time

MIB = 1024 * 1024


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        kib = int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1))
    return kib / 1024


def call(addr, method, path, body=None):
    conn = http.client.HTTPConnection(*addr, timeout=30)
    headers = {"Authorization": "Bearer t"}
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def updates(addr, message_id, n, start):
    """n message.updated events of about 16 KiB each."""
    for i in range(n):
        # Each text differs, so that no answer is shared.
        text = chr(0x1F600 + (start + i) % 64) * 4096
        status, data = call(addr, "PUT", f"/v1/messages/{message_id}", {"message": text})
        assert status == 200, (status, data[:200])


def subscribe(addr):
    """A stream that is opened and never read: a small receive buffer, set before the
    connection, so that the server's side fills soon."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(addr)
    s.sendall(
        f"GET /__admin/events HTTP/1.1\r\nHost: {addr[0]}:{addr[1]}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    return s


def drain(s):
    """What a subscriber was sent, read now: (events, lost) counts."""
    s.settimeout(2)
    data = b""
    try:
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    events = data.count(b"\nevent: message.updated\n")
    lost = sum(int(n) for n in re.findall(rb'"lost":(\d+)', data))
    return events, lost


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--binary", default="target/release/convmock")
    p.add_argument("--events", type=int, default=1000)
    p.add_argument("--subscribers", type=int, default=8)
    args = p.parse_args()
    server = subprocess.Popen(
        [args.binary, "--port", "0", "--quiet", "--max-workspace-mib", "256",
         "--header-timeout", "600"],
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )
    try:
        ready = server.stdout.readline().decode()
        host, port = re.search(r"http://([\d.]+):(\d+)", ready).groups()
        addr = (host, int(port))
        status, data = call(addr, "POST", "/v1/conversations", {"contact_id": "c"})
        conversation = json.loads(data)["id"]
        status, data = call(addr, "POST", "/v1/messages",
                            {"conversation_id": conversation, "message": "m"})
        message = json.loads(data)["id"]
        done = 0
        # The ring full of events of this size (it keeps 1,000).
        updates(addr, message, 1000, done)
        done += 1000
        rows = [("ring full, no stream open", rss_mib(server.pid))]
        updates(addr, message, args.events, done)
        done += args.events
        rows.append((f"+{args.events} events, no stream open", rss_mib(server.pid)))
        streams = [subscribe(addr)]
        time.sleep(0.2)
        rows.append(("one stream opened, never read", rss_mib(server.pid)))
        for stage in range(2):
            updates(addr, message, args.events, done)
            done += args.events
            rows.append((f"+{args.events} events, one stream never read", rss_mib(server.pid)))
        streams += [subscribe(addr) for _ in range(args.subscribers - 1)]
        time.sleep(0.2)
        for stage in range(2):
            updates(addr, message, args.events, done)
            done += args.events
            rows.append(
                (f"+{args.events} events, {args.subscribers} streams never read",
                 rss_mib(server.pid))
            )
        base = rows[0][1]
        print("| point | VmRSS (MiB) | since the ring was full (MiB) |")
        print("|---|---:|---:|")
        for name, rss in rows:
            print(f"| {name} | {rss:.1f} | {rss - base:+.1f} |")
        counts = [drain(s) for s in streams]
        for i, (events, lost) in enumerate(counts):
            print(f"stream {i + 1}: read {events} events, told of {lost} lost")
        for s in streams:
            s.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
