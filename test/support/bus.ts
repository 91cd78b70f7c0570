/** What the bus service tests (bus-postgres, bus-redis) publish, wait on and collect. */
import type { Message } from '../../src/index';
import type { BusEntry } from '../../src/server';
import type { TcpProxy } from './tcp-proxy';

/** A delta event of reply `m2`. */
export const delta = (offset: number, text: string) => ({
  type: 'delta' as const,
  messageId: 'm2',
  offset,
  text,
});

/** Polls `check` (which may ask a server) every 5 ms; throws after `ms` naming `what`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 5000) {
  const until = Date.now() + ms;
  while (!(await check())) {
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

/**
 * The reconnect race of a driver, on purpose, through `proxy` (the reader's
 * connection): the connection is cut and the new one's watch command (matching
 * `watch`) is held while 'b' is published, so nothing announces 'b'; then the
 * server's reply is held until the announcement of 'c' is behind it, and both
 * arrive in one write. `watching` resolves once the server has the watch
 * again. Resolves once `seen` has 'c'; the caller checks that 'b' came first.
 */
export async function reconnectRace(options: {
  proxy: TcpProxy;
  watch: RegExp;
  watching: () => Promise<void>;
  publish: (event: ReturnType<typeof delta>) => Promise<unknown>;
  seen: ReturnType<typeof collector>;
}) {
  const { proxy, publish, seen } = options;
  const rewatching = proxy.hold(options.watch);
  proxy.drop();
  await rewatching;
  await publish(delta(1, 'b'));
  proxy.holdReplies();
  proxy.release();
  await options.watching();
  await publish(delta(2, 'c'));
  await waitFor(() => proxy.holdsReply(/"text":"c"/), 'the announcement of c, held');
  proxy.releaseReplies();
  await waitFor(() => seen.texts().includes('c'), 'the entry after the reconnect');
}
