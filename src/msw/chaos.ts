import { SeqlineError } from '../core/errors';
import type { StreamEvent } from '../core/schemas';
import type { SseEntry, SseSource } from '../server/stream/sse';
import { between, type Random } from './random';

/**
 * Real-world races, each off by default. A probability is a number in
 * [0, 1] (`true` picks the default shown); every draw comes from the seeded
 * random, so a given `seed` replays the same chaos for the same traffic.
 *
 * @example
 * createMessageHandlers({ seed: 7, chaos: { latency: [0, 30], duplicates: 0.2, drops: 0.05 } });
 * createMessageHandlers({ seed: 7, chaos: true }); // everything at its default
 */
export interface ChaosOptions {
  /**
   * Milliseconds before each response (history, send, and the stream's
   * first byte): a fixed delay or a `[min, max]` range.
   * @default 0
   */
  latency?: number | readonly [number, number];
  /**
   * Probability that a POST response is held back until every open stream
   * has delivered the message's `message` events (the echo arrives first).
   * @default true → 1
   */
  echoBeforeResponse?: boolean | number;
  /**
   * Probability that a stream event is sent twice in a row.
   * @default true → 0.3
   */
  duplicates?: boolean | number;
  /**
   * Probability, after each stream event that moved the cursor on, that the
   * server closes the stream; the client must reconnect with `Last-Event-ID`.
   * @default true → 0.1
   */
  drops?: boolean | number;
  /**
   * Probability that a history GET is answered from an older snapshot (one
   * of the last few versions), as a refetch that raced later writes would be.
   * @default true → 0.5
   */
  staleHistory?: boolean | number;
  /**
   * Delivers stream events out of order within a window of this many
   * events; an event waits at most `holdMs` for the window to fill. The
   * `id:` sent is always a cursor up to which everything was delivered, so
   * a reconnect never skips an event.
   * @default true → { window: 3, holdMs: 15 }
   */
  reorder?: boolean | number | { window?: number; holdMs?: number };
}

/** @internal Chaos with every default resolved; probabilities 0 when off. */
export interface ResolvedChaos {
  latency: readonly [number, number];
  echoBeforeResponse: number;
  duplicates: number;
  drops: number;
  staleHistory: number;
  reorder: { window: number; holdMs: number };
}

/** @internal */
export function resolveChaos(chaos: ChaosOptions | boolean | undefined): ResolvedChaos {
  const options: ChaosOptions =
    chaos === true
      ? {
          latency: [0, 20],
          echoBeforeResponse: true,
          duplicates: true,
          drops: true,
          staleHistory: true,
          reorder: true,
        }
      : chaos || {};
  const reorder =
    options.reorder === undefined || options.reorder === false
      ? { window: 1, holdMs: 0 }
      : options.reorder === true
        ? { window: 3, holdMs: 15 }
        : typeof options.reorder === 'number'
          ? { window: options.reorder, holdMs: 15 }
          : { window: options.reorder.window ?? 3, holdMs: options.reorder.holdMs ?? 15 };
  if (!Number.isSafeInteger(reorder.window) || reorder.window < 1 || reorder.holdMs < 0) {
    throw new SeqlineError(
      `[seqline] [msw] chaos.reorder needs a window of 1 or more events and holdMs of 0 or more, got ${JSON.stringify(options.reorder)}`,
    );
  }
  return {
    latency: resolveLatency(options.latency),
    echoBeforeResponse: probability('echoBeforeResponse', options.echoBeforeResponse, 1),
    duplicates: probability('duplicates', options.duplicates, 0.3),
    drops: probability('drops', options.drops, 0.1),
    staleHistory: probability('staleHistory', options.staleHistory, 0.5),
    reorder,
  };
}

/** @internal Milliseconds to wait before answering, drawn from the latency range. */
export function drawLatency(chaos: ResolvedChaos, random: Random): number {
  const [min, max] = chaos.latency;
  return max === 0 ? 0 : between(random, min, max);
}

/** @internal Tells a waiting POST (echo-first chaos) which messages each conversation's streams delivered. */
export interface DeliveryTracker {
  open(conversationId: string): void;
  close(conversationId: string): void;
  /** A stream of the conversation wrote `event` to its client. */
  delivered(conversationId: string, event: StreamEvent): void;
  /**
   * Resolves once the conversation's streams delivered a `message` event for
   * each of `messageIds`, at once if none is open, or after `timeoutMs`.
   */
  waitFor(conversationId: string, messageIds: readonly string[], timeoutMs: number): Promise<void>;
}

/** Message ids remembered per conversation: a POST waits for the ones it just published. */
const REMEMBERED = 256;

/** @internal */
export function createDeliveryTracker(): DeliveryTracker {
  const open = new Map<string, number>();
  /**
   * Per conversation: the message ids its streams delivered lately, oldest
   * first. Kept when a stream closes: the one that resumes after it does not
   * send them again (its cursor says the client has them).
   */
  const reached = new Map<string, Set<string>>();
  const waiters = new Set<{
    conversationId: string;
    ids: readonly string[];
    resolve: () => void;
  }>();
  const done = (conversationId: string, ids: readonly string[]) => {
    if (!open.get(conversationId)) return true;
    const seen = reached.get(conversationId);
    return ids.every((id) => seen?.has(id));
  };
  const wake = (conversationId: string) => {
    for (const waiter of waiters) {
      if (waiter.conversationId === conversationId && done(conversationId, waiter.ids)) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };
  return {
    open(conversationId) {
      open.set(conversationId, (open.get(conversationId) ?? 0) + 1);
    },
    close(conversationId) {
      open.set(conversationId, (open.get(conversationId) ?? 1) - 1);
      wake(conversationId);
    },
    delivered(conversationId, event) {
      if (event.type !== 'message') return;
      let seen = reached.get(conversationId);
      if (!seen) {
        seen = new Set();
        reached.set(conversationId, seen);
      }
      seen.add(event.message.id);
      if (seen.size > REMEMBERED) seen.delete(seen.values().next().value!);
      wake(conversationId);
    },
    waitFor(conversationId, ids, timeoutMs) {
      if (done(conversationId, ids)) return Promise.resolve();
      return new Promise((resolve) => {
        const waiter = { conversationId, ids, resolve: () => {} };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          resolve();
        }, timeoutMs);
        waiter.resolve = () => {
          clearTimeout(timer);
          resolve();
        };
        waiters.add(waiter);
      });
    },
  };
}

/**
 * @internal Wraps a stream source (the mock serves `createConversationStream`,
 * as production does) so that it misbehaves on the wire as `chaos` says:
 * duplicates, reorders within a window, and drops the connection. Cursors
 * stay honest: each `id:` sent is the cursor of the entry up to which every
 * entry of this connection has been delivered (the client's own
 * `Last-Event-ID` before that), so a reconnect never skips an event.
 */
export function chaoticSource(
  source: SseSource,
  chaos: ResolvedChaos,
  random: Random,
  onDelivered: (event: StreamEvent) => void,
): SseSource {
  return {
    subscribe(after, sink) {
      /** Entries of this connection numbered 1, 2, … as the source gave them. */
      let received = 0;
      /** Every entry up to this position has been delivered. */
      let delivered = 0;
      let cursor = after ?? '';
      /** Cursors of the entries after `delivered`, by position. */
      const cursors = new Map<number, string>();
      const sent = new Set<number>();
      const held: Array<{ position: number; event: StreamEvent }> = [];
      let holdTimer: ReturnType<typeof setTimeout> | undefined;
      let dead = false;
      let stop: (() => void) | undefined;

      const end = () => {
        if (dead) return;
        dead = true;
        if (holdTimer !== undefined) clearTimeout(holdTimer);
        stop?.();
      };
      const emit = (position: number, event: StreamEvent) => {
        if (dead) return;
        sent.add(position);
        while (sent.delete(delivered + 1)) {
          delivered++;
          cursor = cursors.get(delivered)!;
          cursors.delete(delivered);
        }
        const entry: SseEntry = { cursor, event };
        sink.event(entry);
        if (chaos.duplicates > 0 && random() < chaos.duplicates) sink.event(entry);
        onDelivered(event);
        // Only after progress, so every connection moves the client's cursor on.
        if (delivered > 0 && chaos.drops > 0 && random() < chaos.drops) {
          end();
          sink.close();
        }
      };
      const release = (count: number) => {
        for (let i = 0; i < count && held.length > 0 && !dead; i++) {
          const [next] = held.splice(between(random, 0, held.length - 1), 1);
          emit(next!.position, next!.event);
        }
      };

      const unsubscribe = source.subscribe(after, {
        event(entry) {
          if (dead) return;
          const position = ++received;
          cursors.set(position, entry.cursor);
          if (chaos.reorder.window <= 1) {
            emit(position, entry.event);
            return;
          }
          held.push({ position, event: entry.event });
          if (holdTimer !== undefined) clearTimeout(holdTimer);
          holdTimer = undefined;
          if (held.length >= chaos.reorder.window) release(1);
          if (held.length > 0 && !dead) {
            holdTimer = setTimeout(() => {
              holdTimer = undefined;
              release(held.length);
            }, chaos.reorder.holdMs);
          }
        },
        close() {
          end();
          sink.close();
        },
      });
      if (dead) unsubscribe();
      else stop = unsubscribe;
      return end;
    },
  };
}

// ---------------------------------------------------------------------------

function probability(name: string, value: boolean | number | undefined, fallback: number): number {
  if (value === undefined || value === false) return 0;
  if (value === true) return fallback;
  if (!(value >= 0 && value <= 1)) {
    throw new SeqlineError(
      `[seqline] [msw] chaos.${name} must be true, false or a probability between 0 and 1, got ${value}`,
    );
  }
  return value;
}

function resolveLatency(latency: ChaosOptions['latency']): readonly [number, number] {
  const range =
    latency === undefined ? [0, 0] : typeof latency === 'number' ? [latency, latency] : latency;
  const [min, max] = range as readonly [number, number];
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || max < min) {
    throw new SeqlineError(
      `[seqline] [msw] chaos.latency must be milliseconds or a [min, max] range of whole milliseconds with 0 <= min <= max, got ${JSON.stringify(latency)}`,
    );
  }
  return [min, max];
}
