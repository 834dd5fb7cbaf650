// Types of the convmock package (`index.cjs`, and `index.mjs` through `index.d.mts`).

// `Symbol.asyncDispose` for projects whose `lib` lacks it (index.cjs defines it where missing).
declare global {
  interface SymbolConstructor {
    readonly asyncDispose: unique symbol;
  }
}

export interface StartOptions {
  /**
   * Command-line flags, like `['--seed', '1', '--clock', '1700000000']`. `--port 0` and
   * `--isolate` are added unless given here.
   */
  flags?: string[];
  /** Give each bearer token a workspace of its own (`--isolate`). Default true. */
  isolate?: boolean;
  /** The executable to run. Default: `CONVMOCK_BINARY`, else this platform's package. */
  binary?: string;
  /** How long to wait for the ready line, in milliseconds. Default 10000. */
  timeoutMs?: number;
  /** Copy the server's stderr (a line per request) to this process's stderr. Default false. */
  logs?: boolean;
}

/** A conversation as the API returns it. */
export interface Conversation {
  id: string;
  contact_id: string | null;
  group_id: string | null;
  pinned_message_id: string | null;
  is_pinned: boolean;
  is_muted: boolean;
  last_active_at: number | null;
  last_opened_at: number | null;
  created_at: number;
  archived_at: number | null;
  readonly [field: string]: unknown;
}

/** One request in the journal. */
export interface JournalEntry {
  /** The server clock's Unix seconds. */
  time: number;
  method: string;
  path: string;
  /** Without `?`; null when there was none. */
  query: string | null;
  /** The body as text (cut at 64 KiB), null when none was read. */
  body: string | null;
  /** null for a dropped connection. */
  status: number | null;
  /** Why the request was refused (the error body's first message), or null. */
  error: string | null;
  /** The bearer token sent, or null. */
  token: string | null;
  duration_ms: number;
  readonly [field: string]: unknown;
}

export interface JournalFilter {
  /** An HTTP method. */
  method?: string;
  /** A path pattern where `*` matches one segment, like `/v1/conversations/*`. */
  path?: string;
  /** Only the requests that sent this bearer token. */
  token?: string;
}

/** A fault rule: exactly one of `status`, `delay_ms` or `drop`. */
export interface FaultRule {
  /** An HTTP method, or `*` (the default). */
  method?: string;
  /** A path pattern where `*` matches one segment: `/v1/conversations/*`. */
  path: string;
  /** Answer with this status (400-599) and the profile's error body. */
  status?: number;
  /** Wait this long (up to 600000 ms), then answer normally. */
  delay_ms?: number;
  /** Close the connection without an answer. */
  drop?: true;
  /** How likely the rule fires, 0 to 1. Default 1. */
  probability?: number;
  /** Fire at most this many times, then the rule is removed. Default: no limit. */
  count?: number;
}

/** A fault rule as added: with its `id` and how often it fired. */
export interface Fault extends FaultRule {
  id: string;
  fired: number;
  readonly [field: string]: unknown;
}

/** Exactly one of these changes the clock; none reads it. */
export interface ClockChange {
  /** Freeze the clock at this Unix time (seconds). */
  now?: number;
  /** Move a frozen clock by this many seconds (negative goes back). */
  advance?: number;
  /** Follow the system clock again. */
  system?: true;
}

export interface Clock {
  now: number;
  frozen: boolean;
}

export interface WorkspaceOptions {
  /** The workspace's bearer token; needed under --isolate. */
  token?: string;
}

/** What a change emitted: `type` is like `message.created`; `payload` the object. */
export interface ConvmockEvent {
  /** 16 characters. */
  id: string;
  /** `<resource>.<created|updated|deleted>`, like `conversation.updated`. */
  type: string;
  /** The object after the change, or, for `deleted`, as it was. */
  payload: { readonly [field: string]: unknown };
  readonly [field: string]: unknown;
}

export interface EventsFilter {
  /** One type (`message.created`) or family (`conversation.*`). */
  type?: string;
  /** Only this token's workspace (under --isolate). */
  token?: string;
}

export interface ReceiverOptions {
  /** Only this token's workspace's events (under --isolate). Default: every workspace's. */
  token?: string;
  /** The event types to take, like `['message.*', 'conversation.created']`. Default: all. */
  events?: string[];
}

/** One POST a receiver got: the raw body, its signature header, and whether it verified. */
export interface ReceivedDelivery {
  /** The raw bytes (a Node `Buffer`). */
  body: Uint8Array;
  /** The `x-protocol-signature` header, `''` when absent. */
  signature: string;
  verified: boolean;
}

/** A webhook receiver on 127.0.0.1, registered as an endpoint of the server. */
export interface WebhookReceiver {
  /** Where it listens, like `http://127.0.0.1:PORT/hook`. */
  readonly url: string;
  /** The endpoint's ID on the server. */
  readonly id: string;
  /** The secret deliveries are signed with. */
  readonly secret: string;
  /** The events of the deliveries whose signature verified, in the order they arrived. */
  readonly events: ConvmockEvent[];
  /** Every POST received, verified or not, in the order they arrived. */
  readonly deliveries: ReceivedDelivery[];
  /** Unregisters the endpoint and stops the receiver; safe to call twice. */
  close(): Promise<void>;
  /** Closes it at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void>;
}

export interface FlushOptions {
  /** How long the server waits for pending deliveries, in milliseconds. Default 5000. */
  timeoutMs?: number;
}

/** Deliveries counted since start-up or the last reset. */
export interface FlushCounts {
  delivered: number;
  failed: number;
  pending: number;
}

/** A message from the other participant: what a send takes, and who speaks. */
export interface SimulatedMessage {
  conversation_id: string;
  message: string;
  /** The sender: required in a group's conversation (a member). */
  contact_id?: string;
  /** Send it later (0 to 60000 ms): the answer is then `{ status: 'scheduled', ... }`. */
  delay_ms?: number;
  readonly [field: string]: unknown;
}

/** A running convmock. */
export interface ConvmockServer {
  /** The base URL, like `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The server process's ID. */
  readonly pid: number;
  /** A fresh, unique bearer token: under --isolate, a workspace of its own. */
  token(): string;
  /** Everything back as at start-up: workspaces, clock, journal, fault rules. */
  reset(): Promise<void>;
  /** The requests received, oldest first. */
  journal(filter?: JournalFilter): Promise<JournalEntry[]>;
  /** Adds a fault rule, for every token. */
  addFault(rule: FaultRule): Promise<Fault>;
  /** Reads the clock, or changes it. */
  clock(change?: ClockChange): Promise<Clock>;
  /** Queues IDs for the next creates in a workspace. */
  nextIds(ids: string[], options?: WorkspaceOptions): Promise<void>;
  /** Every conversation in a workspace, in list order. */
  conversations(options?: WorkspaceOptions): Promise<Conversation[]>;
  /** The last events (up to 1,000), oldest first. */
  events(filter?: EventsFilter): Promise<ConvmockEvent[]>;
  /** Starts a webhook receiver that checks every signature, registered with the server. */
  startReceiver(options?: ReceiverOptions): Promise<WebhookReceiver>;
  /** Waits until no delivery is pending; rejects with `status` 504 after `timeoutMs`. */
  flush(options?: FlushOptions): Promise<FlushCounts>;
  /** A message from the other participant; the message, or the scheduled answer with `delay_ms`. */
  simulateMessage(
    fields: SimulatedMessage,
    options?: WorkspaceOptions,
  ): Promise<{ readonly [field: string]: unknown }>;
  /** Marks a message read by the other participant; resolves to the message. */
  simulateRead(messageId: string, options?: WorkspaceOptions): Promise<{ readonly [field: string]: unknown }>;
  /** Stops the server and waits for it to exit; safe to call twice. */
  close(): Promise<void>;
  /** Closes it at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts convmock on a free port, isolated per token unless `isolate: false`, and resolves
 * once it accepts connections. Rejects, with the server's stderr, if it exits first.
 */
export declare function startConvmock(options?: StartOptions): Promise<ConvmockServer>;
