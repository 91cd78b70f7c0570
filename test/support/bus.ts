/** What the bus service tests (bus-postgres, bus-redis) publish, wait on and collect. */
import type { Message } from '../../src/index';
import type { BusEntry } from '../../src/server';

/** A delta event of reply `m2`. */
export const delta = (offset: number, text: string) => ({
  type: 'delta' as const,
  messageId: 'm2',
  offset,
  text,
});

/** Polls `check` every 5 ms; throws after `ms` naming `what`. */
export async function waitFor(check: () => boolean, what: string, ms = 5000) {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A subscription sink that keeps every entry and counts resyncs. */
export function collector() {
  const entries: BusEntry[] = [];
  let resyncs = 0;
  return {
    entries,
    resyncs: () => resyncs,
    texts: () => entries.map((e) => (e.event.type === 'delta' ? e.event.text : e.event.type)),
    sink: { event: (entry: BusEntry) => entries.push(entry), resync: () => void resyncs++ },
  };
}

/** Reply `m2` of conversation `c1`, stored empty and pending, as a writer starts it. */
export const pendingReply: Message = {
  id: 'm2',
  conversationId: 'c1',
  sequence: 2,
  createdAt: '2026-01-01T00:00:00.000Z',
  role: 'assistant',
  content: '',
  status: 'pending',
};
