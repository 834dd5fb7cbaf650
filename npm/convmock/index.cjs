'use strict';
// startConvmock(): runs the convmock executable as a child process for a test suite, on a free
// port, and drives it through its admin API (/__admin/) with the global fetch. No
// dependencies; `index.mjs` re-exports this for `import`.

const { spawn } = require('node:child_process');
const { randomUUID } = require('node:crypto');
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
    return new ConvmockServer(child, url, exited, flagValue(flags, '--admin-token'));
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

  constructor(child, url, exited, adminToken) {
    this.#child = child;
    this.#exited = exited;
    this.#adminToken = adminToken ?? process.env.CONVMOCK_ADMIN_TOKEN;
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
    if (res.status !== expect) {
      const err = new Error(`convmock: ${method} ${url.pathname}${url.search} answered ${res.status}: ${text.trim()}`);
      err.status = res.status;
      err.body = text;
      throw err;
    }
    return text ? JSON.parse(text) : undefined;
  }
}

module.exports = { startConvmock };
