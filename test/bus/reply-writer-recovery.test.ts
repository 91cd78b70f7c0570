/**
 * createReplyWriter when `persist` fails (a database blip during a long
 * reply): 1, 3 and N failures in a row at `append`, `complete` and `fail`.
 * The stored reply must equal the generated text exactly, once, with its
 * final status, and every subscriber must converge to it. Also
 * `finishAbandonedReplies`, for replies a dead process left streaming.
 */
import { describe, expect, it } from 'vitest';
import { applyStreamEvent, createTimeline, type Message } from '../../src/index';
import {
  createConversationStream,
  createMemoryBus,
  createReplyWriter,
  finishAbandonedReplies,
  type LoadSnapshot,
  MessageBusError,
  type ReplyUpdate,
} from '../../src/server/index';
import { pendingReply } from '../support/bus';

const reply = pendingReply;
const TOKENS = Array.from({ length: 30 }, (_, i) => `t${i} `);
const TEXT = TOKENS.join('');

/** A table of one reply whose `persist` throws `failures` times in a row once `when` holds. */
function flakyDatabase(when: (update: ReplyUpdate, call: number) => boolean, failures: number) {
  const rows = new Map<string, Message>([[reply.id, reply]]);
  let left = failures;
  let calls = 0;
  let armed = true;
  return {
    rows,
    thrown: () => failures - left,
    persist: async (update: ReplyUpdate) => {
      calls++;
      if (armed && when(update, calls)) {
        if (left > 0) {
          left--;
          throw new Error('connection terminated unexpectedly');
        }
        armed = false;
      }
      const { messageId, ...rest } = update;
      rows.set(messageId, { ...rows.get(messageId)!, ...rest });
    },
    load: async (_: string, after: number) =>
      [...rows.values()].filter((row) => (row.sequence ?? 0) > after).map((row) => ({ ...row })),
  };
}

/** A subscriber through createConversationStream, folding what it gets into a timeline. */
function subscriber(bus: ReturnType<typeof createMemoryBus>, load: LoadSnapshot) {
  let timeline = createTimeline('c1');
  const stop = createConversationStream({
    bus,
    conversationId: 'c1',
    loadSnapshot: load,
  }).subscribe(undefined, {
    event: (entry) => {
      timeline = applyStreamEvent(timeline, entry.event);
    },
    close: () => {},
  });
  return { stop, get: () => timeline.getById('m2') };
}

/** Retries `call` as a model loop would after the writer gives up, counting the throws. */
async function untilItWorks(call: () => Promise<void>): Promise<number> {
  for (let thrown = 0; ; thrown++) {
    try {
      await call();
      return thrown;
    } catch (error) {
      expect(error).toBeInstanceOf(MessageBusError);
      expect((error as Error).message).toMatch(/Nothing changed; call it again/);
      if (thrown > 20) throw error;
    }
  }
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('createReplyWriter recovers from a failing persist', () => {
  const places: [string, (u: ReplyUpdate, call: number) => boolean, 'complete' | 'failed'][] = [
    ['append', (u, call) => u.status === 'streaming' && call >= 4, 'complete'],
    ['complete', (u) => u.status === 'complete', 'complete'],
    ['fail', (u) => u.status === 'failed', 'failed'],
  ];
  for (const [place, when, final] of places) {
    for (const failures of [1, 3, 10]) {
      it(`${failures} failure(s) in a row at ${place}: stored once, exactly, ${final}; subscribers converge`, async () => {
        const db = flakyDatabase(when, failures);
        const bus = createMemoryBus();
        const early = subscriber(bus, db.load);
        const writer = createReplyWriter({
          bus,
          message: reply,
          persist: db.persist,
          persistEveryChars: 10,
          persistEveryMs: 60_000,
          persistRetries: 3,
          persistRetryDelayMs: 0,
          onError: () => {},
        });
        await writer.start();
        let thrown = 0;
        for (const token of TOKENS) thrown += await untilItWorks(() => writer.append(token));
        thrown += await untilItWorks(() =>
          final === 'complete' ? writer.complete() : writer.fail('model error'),
        );
        await flush();
        const late = subscriber(bus, db.load);
        await flush();

        expect(db.thrown()).toBe(failures);
        // 4 attempts per call (3 retries inside the writer); past them the caller's call throws.
        expect(thrown).toBe(Math.floor(failures / 4));
        expect(db.rows.get('m2')).toMatchObject({ content: TEXT, status: final });
        for (const client of [early, late]) {
          expect(client.get()).toMatchObject({ content: TEXT, status: final });
          client.stop();
        }
        await expect(writer.complete()).rejects.toThrow(/after the reply m2 ended/);
      });
    }
  }

  it('append(text, offset) is idempotent: a repeated or overlapping call stores each character once', async () => {
    const db = flakyDatabase(() => false, 0);
    const writer = createReplyWriter({
      bus: createMemoryBus(),
      message: reply,
      persist: db.persist,
      persistEveryChars: 0,
    });
    await writer.append('Hel', 0);
    await writer.append('Hel', 0);
    await writer.append('llo', 2);
    await writer.append(' you', 5);
    expect(writer.content).toBe('Hello you');
    await expect(writer.append('x', 99)).rejects.toThrow(/offset must be an integer from 0/);
    await writer.complete();
    expect(db.rows.get('m2')?.content).toBe('Hello you');
  });

  it('checks its retry options', () => {
    const base = { bus: createMemoryBus(), message: reply, persist: async () => {} };
    expect(() => createReplyWriter({ ...base, persistRetries: -1 })).toThrow(MessageBusError);
    expect(() => createReplyWriter({ ...base, persistRetryDelayMs: Number.NaN })).toThrow(
      /persistRetryDelayMs must be 0 or a positive number/,
    );
  });
});

describe('finishAbandonedReplies', () => {
  it('stores a reply a dead process left streaming as failed, with its content, and tells every subscriber', async () => {
    const db = flakyDatabase((u) => u.status === 'failed', 2);
    db.rows.set('m2', { ...reply, content: 'half a rep', status: 'streaming' });
    const done: Message = { ...reply, id: 'm4', sequence: 4, content: 'ok', status: 'complete' };
    db.rows.set('m4', done);
    const bus = createMemoryBus();
    const client = subscriber(bus, db.load);
    await flush();
    const finished = await finishAbandonedReplies({
      bus,
      replies: [...db.rows.values()],
      persist: db.persist,
      persistRetryDelayMs: 0,
    });
    expect(finished).toBe(1);
    expect(db.rows.get('m2')).toMatchObject({ content: 'half a rep', status: 'failed' });
    expect(db.rows.get('m2')?.error).toMatch(/interrupted/);
    expect(db.rows.get('m4')).toEqual(done);
    expect(client.get()).toMatchObject({ content: 'half a rep', status: 'failed' });
  });
});
