// Type-checked (not run) by scripts/npm_package.sh against the installed package: what an
// ES module in a TypeScript project writes.
import {
  startConvmock,
  type ConvmockEvent,
  type ConvmockServer,
  type FlushCounts,
  type JournalEntry,
  type WebhookReceiver,
} from 'convmock';

const server: ConvmockServer = await startConvmock({ flags: ['--seed', '1'], timeoutMs: 5000 });
const token: string = server.token();
await server.reset();
const entries: JournalEntry[] = await server.journal({ method: 'POST', path: '/v1/conversations', token });
const status: number | null = entries[0]?.status ?? null;
const fault = await server.addFault({ path: '/v1/conversations/*', status: 503, count: 1 });
const id: string = fault.id;
const { now, frozen }: { now: number; frozen: boolean } = await server.clock({ advance: 60 });
await server.nextIds(['conv-a'], { token });
const ids: string[] = (await server.conversations({ token })).map((c) => c.id);
const events: ConvmockEvent[] = await server.events({ type: 'conversation.*', token });
const receiver: WebhookReceiver = await server.startReceiver({ token, events: ['message.*'] });
const received: string[] = receiver.events.map((e) => e.type);
const verified: boolean[] = receiver.deliveries.map((d) => d.verified);
const counts: FlushCounts = await server.flush({ timeoutMs: 1000 });
const sent = await server.simulateMessage({ conversation_id: 'c', message: 'hi' }, { token });
await server.simulateRead(String(sent.id), { token });
await receiver.close();
await server.close();
await server[Symbol.asyncDispose]();
// @ts-expect-error: a simulated message needs its text
await server.simulateMessage({ conversation_id: 'c' });
// @ts-expect-error: flags are strings
await startConvmock({ flags: [8080] });
// @ts-expect-error: a fault rule needs a path
await server.addFault({ status: 503 });
export { status, id, now, frozen, ids, events, received, verified, counts };
