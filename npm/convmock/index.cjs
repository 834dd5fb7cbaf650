'use strict';
// startConvmock(): runs the convmock executable as a child process for a test suite, on a free
// port, and drives it through its admin API (/__admin/) with the global fetch. No
// dependencies; `index.mjs` re-exports this for `import`.

const { spawn } = require('node:child_process');
const { createHmac, randomBytes, randomUUID, timingSafeEqual } = require('node:crypto');
const { createServer } = require('node:http');
const { createInterface } = require('node:readline');
const { findBinary } = require('./lib/binary.cjs');

// Node 20.4+ has it; elsewhere, the stand-in TypeScript's documentation suggests, which
// code compiled from `await using` looks up.
Symbol.asyncDispose ??= Symbol('Symbol.asyncDispose');

/** How long startConvmock waits for the ready line by default. */
const READY_TIMEOUT_MS = 10_000;
/** How long close() waits after SIGTERM (in-flight requests get 5 s) before SIGKILL. */
const CLOSE_TIMEOUT_MS = 10_000;
/** How much of the server's stderr is kept to explain a failed start. */
const STDERR_TAIL_CHARS = 8192;
const READY_LINE = /^listening on (http:\/\/\S+)$/;
/** How long flush() asks the server to wait for pending deliveries by default. */
const FLUSH_TIMEOUT_MS = 5_000;
/** The header that carries the hex HMAC-SHA256 of a delivery's body, keyed with the secret. */
const SIGNATURE_HEADER = 'x-protocol-signature';

// Servers still running, stopped if this process exits without closing them.
const running = new Set();
let exitHookInstalled = false;
function stopOnExit(child) {
  running.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGTERM');
    });
  }
}

/** Whether the flags set `name` already, as `--name value` or `--name=value`. */
function hasFlag(flags, name) {
  return flags.some((f) => f === name || f.startsWith(`${name}=`));
}

/** The value of `--name value` or `--name=value` among the flags, if any. */
function flagValue(flags, name) {
  for (let i = 0; i < flags.length; i += 1) {
    if (flags[i] === name) return flags[i + 1];
    if (flags[i].startsWith(`${name}=`)) return flags[i].slice(name.length + 1);
  }
  return undefined;
}

/**
 * Starts convmock on a free port (`--port 0`), isolated per token (`--isolate`) unless
 * `isolate: false`, and resolves once it accepts connections.
 */
async function startConvmock(options = {}) {
  const {
    flags = [],
    isolate = true,
    binary,
    timeoutMs = READY_TIMEOUT_MS,
    logs = false,
  } = options;
  if (!Array.isArray(flags) || flags.some((f) => typeof f !== 'string')) {
    throw new TypeError(`flags must be an array of strings, like ['--seed', '1']`);
  }
  const executable = binary ?? findBinary();
  // The executable refuses a flag given twice, so add ours only where the caller has not.
  const args = [
    ...(hasFlag(flags, '--port') ? [] : ['--port', '0']),
    ...(isolate && !hasFlag(flags, '--isolate') ? ['--isolate'] : []),
    ...flags,
  ];
  const command = [executable, ...args].join(' ');
  const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
    if (logs) process.stderr.write(chunk);
  });
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A spawn failure emits 'error' and no 'exit'.
    child.once('error', (error) => resolve({ error }));
  });
  const failed = (what) => {
    const said = stderr.trim();
    return new Error(`convmock: ${what}\n  command: ${command}${said ? `\n  stderr:\n${said}` : ''}`);
  };

  const exitedEarly = exited.then(async ({ code, signal, error }) => {
    if (error) throw failed(`could not start ${executable}: ${error.message}`);
    // Let the last of stderr arrive: it says why.
    await new Promise((resolve) => (child.stderr.readableEnded ? resolve() : child.stderr.once('end', resolve)));
    throw failed(`exited (${signal ?? `status ${code}`}) before it was ready`);
  });
  exitedEarly.catch(() => {}); // once the server is ready, its exit is close()'s business

  let timer;
  const lines = createInterface({ input: child.stdout });
  try {
    const url = await Promise.race([
      new Promise((resolve, reject) => {
        lines.once('line', (line) => {
          const ready = READY_LINE.exec(line);
          if (ready) resolve(ready[1]);
          else reject(failed(`expected the ready line 'listening on http://…', got ${JSON.stringify(line)}`));
        });
      }),
      exitedEarly,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(failed(`printed no ready line within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
    lines.close();
    child.stdout.resume(); // nothing else comes on stdout; never let the pipe fill
    const isolated = isolate || hasFlag(flags, '--isolate');
    return new ConvmockServer(child, url, exited, flagValue(flags, '--admin-token'), isolated);
  } catch (err) {
    lines.close();
    child.kill('SIGKILL');
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** A running convmock: its URL and its admin API. */
class ConvmockServer {
  #child;
  #exited;
  #closed;
  #adminToken;
  #isolated;

  constructor(child, url, exited, adminToken, isolated) {
    this.#child = child;
    this.#exited = exited;
    this.#adminToken = adminToken ?? process.env.CONVMOCK_ADMIN_TOKEN;
    this.#isolated = isolated;
    /** The base URL, like `http://127.0.0.1:PORT`. */
    this.url = url;
    /** The server process's ID. */
    this.pid = child.pid;
    stopOnExit(child);
    // A forgotten close() must not keep the test process alive.
    child.unref();
    child.stdout.unref?.();
    child.stderr.unref?.();
  }

  /** A fresh, unique bearer token: under --isolate, a workspace of its own. */
  token() {
    return `test-${randomUUID()}`;
  }

  /** Everything back as at start-up: workspaces, clock, journal, fault rules. */
  async reset() {
    await this.#admin('POST', 'reset');
  }

  /**
   * The requests the server received, oldest first, filtered by `method`, `path` (a pattern
   * where `*` is one segment) and the `token` they were sent with (which matches also under
   * `--token`, where the journal shows `<token N>` instead).
   */
  async journal({ method, path, token } = {}) {
    const { requests } = await this.#admin('GET', 'requests', { query: { method, path, token } });
    return requests;
  }

  /** Adds a fault rule (for every token) and resolves to it, with its `id`. */
  async addFault(rule) {
    return this.#admin('POST', 'faults', { body: rule, expect: 201 });
  }

  /**
   * Reads the clock, or changes it: `{ now: T }` freezes it at T (Unix seconds),
   * `{ advance: S }` moves a frozen clock, `{ system: true }` unfreezes it.
   */
  async clock({ now, advance, system } = {}) {
    const change = Object.fromEntries(
      Object.entries({ now, advance, system }).filter(([, v]) => v !== undefined),
    );
    if (Object.keys(change).length === 0) return this.#admin('GET', 'clock');
    return this.#admin('PUT', 'clock', { body: change });
  }

  /** Queues IDs for the next creates in `token`'s workspace (needed under --isolate). */
  async nextIds(ids, { token } = {}) {
    await this.#admin('POST', 'next-ids', { query: { token }, body: { ids } });
  }

  /** Every conversation in `token`'s workspace (needed under --isolate), in list order. */
  async conversations({ token } = {}) {
    const { conversations } = await this.#admin('GET', 'conversations', { query: { token } });
    return conversations;
  }

  /**
   * The last events (up to 1,000), oldest first: `type` keeps one type (`message.created`)
   * or family (`conversation.*`), `token` one workspace's (under --isolate; without it
   * there is one workspace, and the token is not needed).
   */
  async events({ type, token } = {}) {
    const query = { type, token: this.#isolated ? token : undefined };
    const { events } = await this.#admin('GET', 'events', { query });
    return events;
  }

  /**
   * Starts a webhook receiver on 127.0.0.1 and registers it as an endpoint of this server,
   * for `token`'s workspace (under --isolate; every workspace's when not given) and the
   * event types `events` names (all when not given). Each delivery's signature is checked
   * (HMAC-SHA256 of the raw body, compared in constant time): a good one is answered 204
   * and its event pushed to `receiver.events`; a bad one 401. `close()` unregisters and
   * stops it.
   */
  async startReceiver({ token, events } = {}) {
    const secret = `whsec_${randomBytes(16).toString('hex')}`;
    const receiver = { url: '', id: '', secret, events: [], deliveries: [] };
    const http = createServer((req, res) => {
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => {
        // The exact bytes sent: verified before they are parsed.
        const body = Buffer.concat(chunks);
        const signature = String(req.headers[SIGNATURE_HEADER] ?? '');
        const verified = verifySignature(secret, body, signature);
        receiver.deliveries.push({ body, signature, verified });
        if (verified) receiver.events.push(JSON.parse(body.toString('utf8')));
        res.writeHead(verified ? 204 : 401).end();
      });
    });
    await new Promise((resolve, reject) => {
      http.once('error', reject);
      http.listen(0, '127.0.0.1', resolve);
    });
    http.unref(); // a receiver never closed does not keep the test process alive
    const stop = () => {
      http.closeAllConnections();
      return new Promise((resolve) => http.close(() => resolve()));
    };
    receiver.url = `http://127.0.0.1:${http.address().port}/hook`;
    const registration = { url: receiver.url, secret, events };
    if (this.#isolated && token !== undefined) registration.token = token;
    let endpoint;
    try {
      endpoint = await this.#admin('POST', 'webhooks', { body: registration, expect: 201 });
    } catch (err) {
      await stop();
      throw err;
    }
    receiver.id = endpoint.id;
    let closed;
    receiver.close = () => {
      closed ??= (async () => {
        try {
          // Nothing to unregister from a server closed first; a 404: a reset removed it.
          if (this.#closed === undefined) {
            await this.#admin('DELETE', `webhooks/${encodeURIComponent(endpoint.id)}`, { expect: [204, 404] });
          }
        } finally {
          await stop();
        }
      })();
      return closed;
    };
    receiver[Symbol.asyncDispose] = receiver.close;
    return receiver;
  }

  /**
   * Waits until no delivery is pending (every endpoint's) and resolves to
   * `{ delivered, failed, pending: 0 }`, counted since start-up or the last reset; rejects
   * with `status` 504 (and the counts in `body`) if some are still pending after `timeoutMs`.
   */
  async flush({ timeoutMs = FLUSH_TIMEOUT_MS } = {}) {
    return this.#admin('POST', 'webhooks/flush', { body: { timeout_ms: timeoutMs } });
  }

  /**
   * A message from the other participant in a conversation of `token`'s workspace, sent as
   * the API sends (`{ conversation_id, message, contact_id?, delay_ms? }`): resolves to the
   * message, or, with `delay_ms`, to `{ status: 'scheduled', ... }`.
   */
  async simulateMessage(fields, { token } = {}) {
    return this.#admin('POST', 'simulate/message', { query: { token }, body: fields, expect: [201, 202] });
  }

  /** Marks a message of `token`'s workspace read by the other participant; resolves to it. */
  async simulateRead(messageId, { token } = {}) {
    return this.#admin('POST', 'simulate/read', { query: { token }, body: { message_id: messageId } });
  }

  /** Stops the server (SIGTERM; in-flight requests finish) and waits for it to exit. */
  close() {
    this.#closed ??= (async () => {
      const child = this.#child;
      if (child.exitCode === null && child.signalCode === null) {
        child.ref(); // keep this process alive until the server is gone
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), CLOSE_TIMEOUT_MS);
        await this.#exited;
        clearTimeout(timer);
      }
      running.delete(child);
    })();
    return this.#closed;
  }

  /** `await using server = await startConvmock()` closes it at the end of the block. */
  [Symbol.asyncDispose]() {
    return this.close();
  }

  async #admin(method, call, { query = {}, body, expect = 200 } = {}) {
    const url = new URL(`/__admin/${call}`, this.url);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    const headers = {};
    if (this.#adminToken) headers.Authorization = `Bearer ${this.#adminToken}`;
    // The admin API takes only JSON bodies, and only when they say so.
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (![expect].flat().includes(res.status)) {
      const err = new Error(`convmock: ${method} ${url.pathname}${url.search} answered ${res.status}: ${text.trim()}`);
      err.status = res.status;
      err.body = text;
      throw err;
    }
    return text ? JSON.parse(text) : undefined;
  }
}

/**
 * Whether `signature` (the x-protocol-signature header) is the hex HMAC-SHA256 of `body` (a
 * Buffer, the raw bytes received) keyed with `secret`, compared in constant time.
 */
function verifySignature(secret, body, signature = '') {
  const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('hex'));
  const given = Buffer.from(String(signature));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

module.exports = { startConvmock };
