/**
 * Per-conversation state is released: 100k conversation ids subscribed to
 * and left on the memory bus, the msw mock's stream and the client's conversation
 * store, and the heap returns to within 10% of its baseline (measured after
 * a forced GC). Before, each kept ~300 B to ~1 kB per id for ever.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { getConversationStore } from '../src/client/conversationStore';
import { createMockDb } from '../src/msw';
import { createMemoryBus } from '../src/server';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const IDS = 100_000;

async function heap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
  }
  return process.memoryUsage().heapUsed;
}

/** Runs `round` over 100k ids and returns [baseline, after] heap sizes. */
async function measure(round: (id: string) => void): Promise<[number, number]> {
  // Warm up the code paths first, so the baseline holds the compiled code and its caches.
  for (let i = 0; i < 1000; i++) round(`warm-${i}`);
  const baseline = await heap();
  for (let i = 0; i < IDS; i++) round(`conversation-${i}`);
  // Let zero-delay release timers run.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const after = await heap();
  return [baseline, after];
}

const sink = { event: () => {}, resync: () => {} };
const sseSink = { event: () => {}, close: () => {} };

describe('100k conversations subscribed and released', () => {
  it('memory bus: forgets them (heap within 10% of baseline)', async () => {
    const bus = createMemoryBus();
    const [baseline, after] = await measure((id) => bus.subscribe(id, undefined, sink)());
    console.log(`[lifecycle] memory bus: heap ${mb(baseline)} → ${mb(after)}`);
    expect(bus.conversations()).toBe(0);
    expect(after).toBeLessThan(baseline * 1.1);
  });

  it('msw mock: forgets streams opened and left (heap within 10% of baseline)', async () => {
    const db = createMockDb({ seed: 1 });
    const [baseline, after] = await measure((id) => db.stream(id).subscribe(undefined, sseSink)());
    console.log(`[lifecycle] msw mock stream: heap ${mb(baseline)} → ${mb(after)}`);
    expect(db.bus.conversations()).toBe(0);
    expect(after).toBeLessThan(baseline * 1.1);
  }, 60_000);

  it('conversation store: released after gcTime once its last subscriber leaves', async () => {
    const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: 1 } } });
    const [baseline, after] = await measure((id) =>
      getConversationStore(queryClient, id).subscribe(() => {})(),
    );
    console.log(`[lifecycle] conversation store: heap ${mb(baseline)} → ${mb(after)}`);
    expect(queryClient.getQueryCache().hasListeners()).toBe(false);
    expect(after).toBeLessThan(baseline * 1.1);
    // A store with a subscriber is kept, and the same one is handed out.
    const store = getConversationStore(queryClient, 'kept');
    const stop = store.subscribe(() => {});
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(getConversationStore(queryClient, 'kept')).toBe(store);
    stop();
  }, 60_000);
});

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
