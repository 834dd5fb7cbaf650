#!/usr/bin/env python3
"""Worst-case memory of the default limits, measured: fills every bound on purpose, as a
hostile client would, and reports the server's VmRSS and VmHWM (from /proc/PID/status)
before and after each stage, each stage in a fresh process and then all of them in one.

Usage: scripts/worst_memory.py [--binary target/release/convmock] [--workspaces 100]
                               [--only STAGE,...] [--chat-chars control|wide]
                               [--markdown FILE]

Stages (the server runs with its default limits, on port 0, --quiet; --isolate where a
stage needs workspaces):
  journal     the journal filled to its byte bound with 64 KiB bodies of control bytes
              (JSON escapes each 6x), then eight clients ask for it and never read
  faults      1,000 fault rules with 1 KiB patterns of control bytes (they match no real
              path), then eight clients list them and never read
  queue       --isolate: N workspaces, each with 10,000 queued 255-character IDs, then
              eight clients ask for one queue and never read
  workspaces  --isolate: N workspaces filled to --max-objects by creates whose contact_id
              and group_id are 255-character IDs (the most an ID may be; 255 characters of
              4-byte UTF-8 are checked to be refused first), then pinned_message_id the
              same by PUT; then eight clients ask for one workspace's conversations
              (/__admin/conversations) and never read
  combined    as workspaces, but every create takes a queued 255-character ID
  admin-answer  --isolate: one workspace full, its whole conversations answer read once,
              then asked for by eight clients that never read
  chat        --isolate: N workspaces, each filled to --max-workspace-mib with the chat
              records that cost the most: 100 contacts with every free-text field at its
              most characters, then up to 100 groups of all 100 of them (name, description
              and avatar_url at their most), then messages of 4,096 characters each given
              20 emoji x 20 usernames of reactions by PUT, until the 429, then contacts
              until the 429; the free text is control characters (6 bytes each in JSON, the
              most answer for a byte of memory) or, with --chat-chars wide, 4-byte UTF-8
              (the most memory for a character); the sum of what the 429s say the records
              take is the server's own count; then one group page (limit=100) is read
              whole once, and asked for by eight clients that never read
  bodies      64 connections each send all but the last byte of a 1 MiB body and wait (a
              sample of the 1,024 that --max-connections allows)
  cumulative  one process: combined, then faults, then journal (the journal last, since
              the creates would push its large entries out)
  cumulative-chat  one process: N queues of 10,000 IDs, then chat (each create takes a
              queued 255-character ID), then faults, then journal

Loopback only; every load is bounded in count and time; only the server this script
started is stopped. Needs the release binary (`cargo build --release`).
"""

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

MIB = 1 << 20
KIB = 1 << 10

# The bounds under test, as the README states them.
JOURNAL_BODY = 64 * KIB
JOURNAL_BYTES = 32 * MIB
FAULT_RULES = 1_000
PATTERN_BYTES = 1 * KIB
QUEUED_IDS = 10_000
ID_CHARS = 255
READERS = 8
HOLD_SECONDS = 3.0
# How long any one socket operation may wait before the stage fails.
SOCKET_TIMEOUT = 120.0
# Requests in flight on one pipelined connection.
DEPTH = 64
# A 255-character value of 4-byte UTF-8 characters (1,020 bytes): refused, since IDs are
# made of A-Z, a-z, 0-9, '_' and '-'.
WIDE = "\U0001F600" * ID_CHARS
# The longest ID (255 bytes).
NARROW = "c" * ID_CHARS
# Connections of the sample that hold a body just short of 1 MiB (of --max-connections' 1,024).
BODY_HOLDERS = 64
# The chat resources' bounds (docs/limits.md): a group's members, a message's emoji and the
# usernames of each, and the most characters of each free-text field.
MEMBERS = 100
GROUPS = 100
REACTIONS = 20
NAME_CHARS = 100
PHONE_CHARS = 32
URL_CHARS = 1024
DESCRIPTION_CHARS = 1000
MESSAGE_CHARS = 4096
# The free text's character: a control character is 1 byte held and 6 bytes of JSON
# (`\u0001`); a 4-byte one is 4 bytes held and 4 written.
CHAT_CHARS = {"control": "\x01", "wide": "\U0001F600"}
# A fixture conversation of every workspace, which the messages are sent in.
CHAT_CONVERSATION = "xgQQXg3hrtjh7AvZ"
# What a 429 of a full workspace says its records take.
HELD = re.compile(rb"already take (\d+) KiB")


class Server:
    """The release binary, started by this script and stopped only by it."""

    def __init__(self, binary, isolate):
        args = [binary, "--port", "0", "--quiet"] + (["--isolate"] if isolate else [])
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            self.stop()
            raise RuntimeError(f"convmock did not start: {line!r}")
        self.port = int(line.rsplit(":", 1)[1].strip().rstrip("/"))
        self.host = f"127.0.0.1:{self.port}"

    def memory(self):
        """(VmRSS, VmHWM) in MiB."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            status = f.read()
        kib = {k: int(v) for k, v in re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.M)}
        return kib["VmRSS"] / 1024, kib["VmHWM"] / 1024

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def request(method, target, host, token=None, body=None, content_type="application/json"):
    head = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    if token is not None:
        head.append(f"Authorization: Bearer {token}")
    if body is not None:
        head += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + (body or b"")


HEADER_END = re.compile(rb"\r\n\r\n")
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.I)
LOCATION = re.compile(rb"\r\nlocation:\s*([^\r]+)", re.I)


class Connection:
    """One keep-alive connection that pipelines requests and reads their answers in order."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def exchange(self, requests, bodies=False):
        """Sends the requests at once; returns [(status, location), ...] in order, or
        [(status, location, body), ...] with `bodies`."""
        self.sock.sendall(b"".join(requests))
        answers = [self._response() for _ in requests]
        return answers if bodies else [(status, location) for status, location, _ in answers]

    def _response(self):
        while True:
            m = HEADER_END.search(self.buf)
            if m:
                break
            self._fill()
        head = bytes(self.buf[: m.end()])
        status = int(head[9:12])
        length = CONTENT_LENGTH.search(head)
        if length is None and b"chunked" in head.lower():
            raise RuntimeError("a chunked answer where a sized one was expected")
        end = m.end() + (int(length.group(1)) if length else 0)
        while len(self.buf) < end:
            self._fill()
        location = LOCATION.search(head)
        body = bytes(self.buf[m.end() : end])
        del self.buf[:end]
        return status, location.group(1).decode() if location else None, body

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise RuntimeError("the server closed the connection")
        self.buf += chunk

    def close(self):
        self.sock.close()


def pipelined(port, requests, depth=DEPTH):
    """Sends the requests on one connection, `depth` at a time; the answers in order."""
    conn = Connection(port)
    try:
        out = []
        for i in range(0, len(requests), depth):
            out += conn.exchange(requests[i : i + depth])
        return out
    finally:
        conn.close()


def in_threads(jobs, threads):
    """Runs the callables on `threads` threads; their results, in the order given."""
    results = [None] * len(jobs)
    errors = []
    lock = threading.Lock()
    pending = list(enumerate(jobs))

    def work():
        while True:
            with lock:
                if not pending or errors:
                    return
                i, job = pending.pop(0)
            try:
                results[i] = job()
            except Exception as e:  # surfaced after the join
                with lock:
                    errors.append(e)
                return

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]
    return results


class Stage:
    """Memory figures of one stage: named points, each (VmRSS, VmHWM)."""

    def __init__(self, name, server):
        self.name, self.server = name, server
        self.points = [("start", server.memory())]
        self.notes = []
        self.started = time.monotonic()

    def mark(self, label, peak_rss=0.0):
        """Records the memory now; `peak_rss` is the most VmRSS seen since the last mark."""
        rss, hwm = self.server.memory()
        self.points.append((label, (max(rss, peak_rss), hwm)))
        rss, hwm = self.points[-1][1]
        print(f"  [{self.name}] {label}: RSS {rss:,.1f} MiB, HWM {hwm:,.1f} MiB", flush=True)

    def note(self, text):
        self.notes.append(text)
        print(f"  [{self.name}] {text}", flush=True)

    def peak(self):
        return max(hwm for _, (_, hwm) in self.points)


def hold_readers(stage, target, label, tok=None):
    """Eight clients ask for `target` (with `tok`'s bearer token, if given) and never read;
    measured while they hang, then closed."""
    socks = []
    for _ in range(READERS):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # A small receive window: the answer stays in the server, as a hostile client wants.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(SOCKET_TIMEOUT)
        s.connect(("127.0.0.1", stage.server.port))
        s.sendall(request("GET", target, stage.server.host, token=tok))
        socks.append(s)
    end = time.monotonic() + HOLD_SECONDS
    peak_rss = 0.0
    while time.monotonic() < end:
        peak_rss = max(peak_rss, stage.server.memory()[0])
        time.sleep(0.1)
    stage.mark(f"{READERS} clients hang on {label}", peak_rss)
    for s in socks:
        s.close()
    time.sleep(0.5)
    stage.mark(f"{label}: clients closed")


def expect(answers, allowed, what):
    statuses = {}
    for status, _ in answers:
        statuses[status] = statuses.get(status, 0) + 1
    if set(statuses) - set(allowed):
        raise RuntimeError(f"{what}: unexpected statuses {statuses}")
    return statuses


# --- the stages -------------------------------------------------------------------------


def fill_journal(stage):
    srv = stage.server
    body = b"\x01" * JOURNAL_BODY
    # Enough entries to pass the byte bound: the oldest are dropped past it.
    count = JOURNAL_BYTES // JOURNAL_BODY + 100
    req = request("POST", "/v1/conversations", srv.host, token="j", body=body)
    answers = pipelined(srv.port, [req] * count, depth=8)
    statuses = expect(answers, range(400, 500), "journal bodies")
    stage.note(f"{count} POSTs of 64 KiB of 0x01 bytes (statuses {statuses})")
    stage.mark("journal full")
    hold_readers(stage, "/__admin/requests", "GET /__admin/requests")
    # One client that reads: the whole answer, to check what the journal held.
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=SOCKET_TIMEOUT)
    s.sendall(request("GET", "/__admin/requests", srv.host)[:-2] + b"Connection: close\r\n\r\n")
    total, entries, tail = 0, 0, b""
    t = time.monotonic()
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        total += len(chunk)
        entries += (tail + chunk).count(b'"duration_ms"')
        tail = chunk[-16:]
        entries -= tail.count(b'"duration_ms"')
    s.close()
    entries += tail.count(b'"duration_ms"')
    stage.note(
        f"the journal read whole: {entries} entries, {total / MIB:,.0f} MiB of JSON "
        f"in {time.monotonic() - t:.1f} s"
    )
    stage.mark("after one full read")


def fill_faults(stage):
    srv = stage.server
    # 1 KiB: "/" and 1,023 control bytes, which no request path contains; each is 6 bytes
    # of JSON in a listing.
    rule = json.dumps({"method": "GET", "path": "/" + "\x01" * (PATTERN_BYTES - 1), "status": 503})
    req = request("POST", "/__admin/faults", srv.host, body=rule.encode())
    answers = pipelined(srv.port, [req] * FAULT_RULES)
    expect(answers, [201], "fault rules")
    over = pipelined(srv.port, [req])
    expect(over, [400], "a rule past the limit")
    stage.note(f"{FAULT_RULES} rules with 1 KiB patterns of 0x01 bytes; the next one: 400")
    stage.mark("faults full")
    hold_readers(stage, "/__admin/faults", "GET /__admin/faults")


def token(i):
    return f"ws{i:03d}"


def queued_id(tok, i):
    stem = f"{tok}-{i:05d}-"
    return stem + "q" * (ID_CHARS - len(stem))


def fill_queue(srv, tok, batch=2_500):
    """Queues 10,000 255-character IDs in the token's workspace (a POST creates it)."""
    reqs = []
    for start in range(0, QUEUED_IDS, batch):
        ids = [queued_id(tok, i) for i in range(start, min(start + batch, QUEUED_IDS))]
        body = json.dumps({"ids": ids}).encode()
        reqs.append(request("POST", f"/__admin/next-ids?token={tok}", srv.host, body=body))
    answers = pipelined(srv.port, reqs, depth=4)
    expect(answers, [200], f"queueing IDs for {tok}")
    over = pipelined(srv.port, [request("POST", f"/__admin/next-ids?token={tok}", srv.host,
                                        body=json.dumps({"ids": ["one-more"]}).encode())])
    expect(over, [400], "an ID past the limit")


def queues(stage, workspaces):
    srv = stage.server
    t = time.monotonic()
    in_threads([lambda i=i: fill_queue(srv, token(i)) for i in range(workspaces)], 2)
    stage.note(
        f"{workspaces} workspaces x {QUEUED_IDS:,} queued IDs of {ID_CHARS} characters "
        f"(the next one: 400) in {time.monotonic() - t:.1f} s"
    )
    stage.mark("queues full")
    hold_readers(stage, f"/__admin/next-ids?token={token(0)}", "GET /__admin/next-ids")


def fill_workspace(srv, tok, value, pin):
    """Creates until the workspace is full (429), then pins every new conversation until
    the memory budget refuses a pin (429) or every one is pinned."""
    body = json.dumps({"contact_id": value, "group_id": value}, ensure_ascii=False).encode()
    create = request("POST", "/v1/conversations", srv.host, token=tok, body=body)
    conn = Connection(srv.port)
    created, refused = [], 0
    try:
        # Bounded: a workspace takes at most --max-objects creates.
        for _ in range(QUEUED_IDS // DEPTH + 2):
            for status, location in conn.exchange([create] * DEPTH):
                if status == 201:
                    created.append(location)
                elif status == 429:
                    refused += 1
                else:
                    raise RuntimeError(f"a create answered {status}")
            if refused:
                break
        if not refused:
            raise RuntimeError(f"{tok} never got a 429")
        if pin:
            pin_body = json.dumps({"pinned_message_id": value}, ensure_ascii=False).encode()
            puts = [request("PUT", loc, srv.host, token=tok, body=pin_body) for loc in created]
            # A pin past --max-workspace-mib is refused (429): the workspace is then full.
            full = False
            for i in range(0, len(puts), DEPTH):
                for status, _ in conn.exchange(puts[i : i + DEPTH]):
                    if status == 429:
                        full = True
                    elif status != 200:
                        raise RuntimeError(f"a PUT answered {status}")
                if full:
                    break
    finally:
        conn.close()
    return len(created)


def workspaces(stage, count, with_queue, value=NARROW, pin=True):
    srv = stage.server
    wide = json.dumps({"contact_id": WIDE}, ensure_ascii=False).encode()
    conn = Connection(srv.port)
    try:
        [(status, _)] = conn.exchange([request("POST", "/v1/conversations", srv.host, token="w", body=wide)])
    finally:
        conn.close()
    if status != 400:
        raise RuntimeError(f"a contact_id of 255 4-byte characters answered {status}, not 400")
    stage.note("a contact_id of 255 4-byte characters is refused (400)")
    if with_queue:
        t = time.monotonic()
        in_threads([lambda i=i: fill_queue(srv, token(i)) for i in range(count)], 2)
        stage.note(f"{count} queues of {QUEUED_IDS:,} IDs in {time.monotonic() - t:.1f} s")
        stage.mark("queues full")
    t = time.monotonic()
    jobs = [lambda i=i: fill_workspace(srv, token(i), value, pin) for i in range(count)]
    created = in_threads(jobs, 4)
    took = time.monotonic() - t
    what = "created (each taking a queued ID) " if with_queue else "created "
    stage.note(
        f"{count} workspaces full: {sum(created):,} conversations {what}with contact_id and "
        f"group_id of {ID_CHARS} {len(value.encode()) // len(value)}-byte characters"
        + (", then pinned_message_id the same by PUT" if pin else "")
        + f", in {took:.1f} s ({2 * sum(created) / took if pin else sum(created) / took:,.0f} requests/s)"
    )
    stage.mark("workspaces full")
    hold_readers(stage, f"/__admin/conversations?token={token(0)}", "GET /__admin/conversations")


def bodies(stage):
    """A sample of connections that each send all but the last byte of a 1 MiB body."""
    srv = stage.server
    length = MIB
    head = (
        f"POST /v1/conversations HTTP/1.1\r\nHost: {srv.host}\r\nAuthorization: Bearer b\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()
    socks = []
    try:
        for _ in range(BODY_HOLDERS):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=SOCKET_TIMEOUT)
            s.sendall(head + b"a" * (length - 1))
            socks.append(s)
        time.sleep(1.0)
        stage.note(f"{BODY_HOLDERS} connections each hold 1 MiB less one byte of a body")
        stage.mark(f"{BODY_HOLDERS} bodies of 1 MiB held")
    finally:
        for s in socks:
            s.close()
    time.sleep(0.5)
    stage.mark("connections closed")


def admin_answer(stage):
    """One workspace full of conversations with the longest IDs, read whole once, then asked
    for by eight clients that never read."""
    srv = stage.server
    n = fill_workspace(srv, token(0), NARROW, pin=True)
    stage.mark("one workspace full")
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=SOCKET_TIMEOUT)
    target = f"/__admin/conversations?token={token(0)}"
    s.sendall(request("GET", target, srv.host)[:-2] + b"Connection: close\r\n\r\n")
    total = 0
    while chunk := s.recv(1 << 20):
        total += len(chunk)
    s.close()
    stage.note(
        f"{n:,} conversations with contact_id, group_id and pinned_message_id of {ID_CHARS} "
        f"characters: GET {target} answers {total / MIB:.1f} MiB"
    )
    hold_readers(stage, target, "GET /__admin/conversations")


def chat_bodies(char):
    """The create and update bodies of the costliest chat records, free text of `char`."""

    def text(n, stem=""):
        return stem + char * (n - len(stem))

    contact = {
        "username": text(NAME_CHARS),
        "phone_number": text(PHONE_CHARS),
        "avatar_url": text(URL_CHARS),
        "display_name": text(NAME_CHARS),
    }
    group = {
        "name": text(NAME_CHARS),
        "description": text(DESCRIPTION_CHARS),
        "avatar_url": text(URL_CHARS),
    }
    message = {"conversation_id": CHAT_CONVERSATION, "message": text(MESSAGE_CHARS)}
    # Emoji and usernames must differ: each starts with its number.
    reactions = {
        text(NAME_CHARS, f"{e:02d}"): [text(NAME_CHARS, f"{u:02d}") for u in range(REACTIONS)]
        for e in range(REACTIONS)
    }

    def dump(value):
        return json.dumps(value, ensure_ascii=False).encode()

    return dump(contact), group, dump(message), dump({"reactions": reactions})


def held_kib(answer, what):
    """What a 429 of a full workspace says its records take, in KiB."""
    status, _, body = answer
    m = HELD.search(body)
    if status != 429 or m is None:
        raise RuntimeError(f"{what}: not the 429 of a full workspace: {status} {body[:200]!r}")
    return int(m.group(1))


def one_until_full(conn, req, ok, what):
    """Sends one request; its (status, location), which is `ok` or a 429."""
    [(status, location)] = conn.exchange([req])
    if status not in (ok, 429):
        raise RuntimeError(f"{what} answered {status}")
    return status, location


def fill_chat(srv, tok, texts):
    """Fills the token's workspace with the costliest chat records until it is full: 100
    contacts, up to 100 groups of them all, messages with reactions, then contacts again
    until the 429. Returns (contacts, groups, messages, of them with reactions, KiB its
    records take)."""
    contact, group, message, reactions = texts
    create_contact = request("POST", "/v1/contacts", srv.host, token=tok, body=contact)
    conn = Connection(srv.port)
    try:
        answers = conn.exchange([create_contact] * MEMBERS)
        expect(answers, [201], f"contacts of {tok}")
        members = [location.rsplit("/", 1)[1] for _, location in answers]
        body = json.dumps(dict(group, contacts=members), ensure_ascii=False).encode()
        create_group = request("POST", "/v1/groups", srv.host, token=tok, body=body)
        groups = 0
        for status, _ in conn.exchange([create_group] * GROUPS):
            if status == 201:
                groups += 1
            elif status != 429:
                raise RuntimeError(f"a group create answered {status}")
        send = request("POST", "/v1/messages", srv.host, token=tok, body=message)
        messages = reacted = 0
        # Bounded: a workspace takes at most --max-objects messages.
        for _ in range(QUEUED_IDS):
            status, location = one_until_full(conn, send, 201, "a message create")
            if status == 429:
                break
            messages += 1
            react = request("PUT", location, srv.host, token=tok, body=reactions)
            if one_until_full(conn, react, 200, "a message update")[0] == 429:
                break
            reacted += 1
        contacts = MEMBERS
        # What room is left takes contacts, the smallest of the costly records.
        for _ in range(QUEUED_IDS):
            [answer] = conn.exchange([create_contact], bodies=True)
            if answer[0] != 201:
                held = held_kib(answer, f"a contact create of {tok}")
                return contacts, groups, messages, reacted, held
            contacts += 1
        raise RuntimeError(f"{tok} never got a 429")
    finally:
        conn.close()


def read_whole(srv, target, tok):
    """Reads one answer whole on its own connection; its size in bytes."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=SOCKET_TIMEOUT)
    s.sendall(request("GET", target, srv.host, token=tok)[:-2] + b"Connection: close\r\n\r\n")
    total = 0
    while chunk := s.recv(1 << 20):
        total += len(chunk)
    s.close()
    return total


def chat(stage, count, chars, with_queue=False):
    srv = stage.server
    if with_queue:
        t = time.monotonic()
        in_threads([lambda i=i: fill_queue(srv, token(i)) for i in range(count)], 2)
        stage.note(f"{count} queues of {QUEUED_IDS:,} IDs in {time.monotonic() - t:.1f} s")
        stage.mark("queues full")
    texts = chat_bodies(CHAT_CHARS[chars])
    before = srv.memory()[0]
    t = time.monotonic()
    filled = in_threads([lambda i=i: fill_chat(srv, token(i), texts) for i in range(count)], 4)
    took = time.monotonic() - t
    contacts, groups, messages, reacted, held = (sum(f[k] for f in filled) for k in range(5))
    width = len(CHAT_CHARS[chars].encode())
    stage.note(
        f"{count} workspaces full ({chars} characters, {width} byte(s) each): {contacts:,} "
        f"contacts, {groups:,} groups of {MEMBERS} members, {messages:,} messages of "
        f"{MESSAGE_CHARS:,} characters ({reacted:,} of them with {REACTIONS}x{REACTIONS} "
        f"reactions), in {took:.1f} s"
    )
    stage.mark("chat workspaces full")
    added = srv.memory()[0] - before
    stage.note(
        f"the workspaces' records take {held / KIB:,.1f} MiB by the server's count "
        f"({held / KIB / count:,.2f} MiB a workspace; the 429s' sum); VmRSS grew "
        f"{added:,.1f} MiB: {added * KIB / held:.2f}x the count"
    )
    target = f"/v1/groups?limit={GROUPS}"
    t = time.monotonic()
    size = read_whole(srv, target, token(0))
    took = time.monotonic() - t
    stage.note(f"GET {target} answers {size / MIB:,.1f} MiB, read whole in {took:.1f} s")
    stage.mark("after one full read")
    hold_readers(stage, target, f"GET {target}", tok=token(0))


# --- running ----------------------------------------------------------------------------


def run(name, binary, isolate, steps):
    print(f"{name}:", flush=True)
    srv = Server(binary, isolate)
    try:
        stage = Stage(name, srv)
        for step in steps:
            step(stage)
        return stage
    finally:
        srv.stop()


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def table(stages):
    rows = [
        "| stage | point | VmRSS (MiB) | VmHWM (MiB) |",
        "|---|---|---:|---:|",
    ]
    for stage in stages:
        for label, (rss, hwm) in stage.points:
            rows.append(f"| {stage.name} | {label} | {rss:,.1f} | {hwm:,.1f} |")
    return "\n".join(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default="target/release/convmock")
    parser.add_argument("--workspaces", type=int, default=100)
    parser.add_argument(
        "--only",
        default="journal,faults,queue,workspaces,combined,admin-answer,chat,bodies,cumulative,"
        "cumulative-chat",
    )
    parser.add_argument("--chat-chars", choices=sorted(CHAT_CHARS), default="control")
    parser.add_argument("--markdown", help="also write the table to this file")
    args = parser.parse_args()
    if not os.path.exists(args.binary):
        sys.exit(f"{args.binary} is missing: run `cargo build --release` first")
    n = args.workspaces
    plan = {
        "journal": (False, [fill_journal]),
        "faults": (False, [fill_faults]),
        "queue": (True, [lambda s: queues(s, n)]),
        "workspaces": (True, [lambda s: workspaces(s, n, with_queue=False)]),
        "combined": (True, [lambda s: workspaces(s, n, with_queue=True)]),
        "admin-answer": (True, [admin_answer]),
        "chat": (True, [lambda s: chat(s, n, args.chat_chars)]),
        "bodies": (False, [bodies]),
        "cumulative": (True, [lambda s: workspaces(s, n, with_queue=True), fill_faults, fill_journal]),
        "cumulative-chat": (
            True,
            [lambda s: chat(s, n, args.chat_chars, with_queue=True), fill_faults, fill_journal],
        ),
    }
    wanted = args.only.split(",")
    if set(wanted) - set(plan):
        sys.exit(f"unknown stages: {sorted(set(wanted) - set(plan))}")
    began = time.monotonic()
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average at start: "
        f"{loadavg()}; workspaces: {n}",
        flush=True,
    )
    stages = []
    for name in wanted:
        isolate, steps = plan[name]
        stages.append(run(name, args.binary, isolate, steps))
    print(f"\nload average at end: {loadavg()}; run time {time.monotonic() - began:.0f} s\n")
    out = table(stages)
    print(out)
    for stage in stages:
        for note in stage.notes:
            print(f"- {stage.name}: {note}")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(out + "\n")


if __name__ == "__main__":
    main()
