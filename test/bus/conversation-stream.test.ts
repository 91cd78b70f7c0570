import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { applyStreamEvent, createTimeline, type Message, type StreamEvent } from '../../src/index';
import {
  createConversationStream,
  createMemoryBus,
  createReplyWriter,
  type SseEntry,
} from '../../src/server/index';
import { createLiteralClient } from '../support/literalClient';

const CONVERSATION = 'c1';
const createdAt = '2026-01-01T00:00:00.000Z';
const user: Message = {
  id: 'm1',
  conversationId: CONVERSATION,
  sequence: 1,
  createdAt,
  role: 'user',
  content: 'Hello?',
  status: 'complete',
};
const reply: Message = {
  ...user,
  id: 'm2',
  sequence: 2,
  role: 'assistant',
  content: '',
  status: 'pending',
};

/** A database of messages and a deferred `loadSnapshot` the test releases when it wants. */
function fakeDatabase() {
  const rows = new Map<string, Message>([
    [user.id, user],
    [reply.id, reply],
  ]);
  const waiting: (() => void)[] = [];
  return {
    rows,
    /** Loads immediately, reading the rows at call time (as a query would). */
    load: async (_: string, after: number) =>
      [...rows.values()].filter((row) => (row.sequence ?? 0) > after).map((row) => ({ ...row })),
    /** Reads the rows only once `release()` runs: what a slow query sees. */
    slowLoad: (_: string, after: number) =>
      new Promise<Message[]>((resolve) => {
        waiting.push(() =>
          resolve(
            [...rows.values()]
              .filter((row) => (row.sequence ?? 0) > after)
              .map((row) => ({ ...row })),
          ),
        );
      }),
    release: () => {
      for (const resolve of waiting.splice(0)) resolve();
    },
    /** A reply writer's `persist`: stores at once. */
    persist: async (update: Pick<Message, 'content' | 'status'> & { messageId: string }) => {
      rows.set(update.messageId, { ...rows.get(update.messageId)!, ...update });
    },
  };
}

/**
 * A client: folds what it receives into a timeline and checks every delta fits exactly.
 * `literal` applies the same events as the protocol words them (a snapshot replaces).
 */
function fakeClient(conversationId = CONVERSATION) {
  let timeline = createTimeline(conversationId);
  const literal = createLiteralClient();
  const received: SseEntry[] = [];
  const problems: string[] = [];
  let closed = false;
  return {
    received,
    problems,
    literal,
    get timeline() {
      return timeline;
    },
    get closed() {
      return closed;
    },
    lastId: () => received.at(-1)?.cursor,
    sink: {
      event(entry: SseEntry) {
        received.push(entry);
        const event: StreamEvent = entry.event;
        if (event.type === 'delta') {
          const has = timeline.getById(event.messageId)?.content.length ?? 0;
          // Exactly once: it starts where the client's content ends (no hole, no overlap).
          if (event.offset !== has) problems.push(`delta at ${event.offset} but client has ${has}`);
        }
        timeline = applyStreamEvent(timeline, event);
        literal.apply(event);
      },
      close() {
        closed = true;
      },
    },
  };
}

/**
 * A reply writer on a memory bus that persists into a fake database every
 * `persistEveryChars` (never by time), and a client that (re)connects with
 * its Last-Event-ID, as an immediate reconnect does.
 */
function resumingClient(persistEveryChars: number) {
  const bus = createMemoryBus();
  const db = fakeDatabase();
  const writer = createReplyWriter({
    bus,
    message: reply,
    persistEveryChars,
    persistEveryMs: 60_000,
    persist: db.persist,
  });
  const client = fakeClient();
  const connect = () =>
    createConversationStream({
      bus,
      conversationId: CONVERSATION,
      loadSnapshot: db.load,
    }).subscribe(client.lastId(), client.sink);
  return { bus, db, writer, client, connect };
}

const view = (messages: readonly Message[]) =>
  messages.map(({ id, content, status }) => ({ id, content, status }));

async function flush() {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe('createConversationStream', () => {
  it('starts a fresh subscriber after `after`: neither the stored history nor the bus replay of it', async () => {
    const bus = createMemoryBus();
    const stored = Array.from({ length: 100 }, (_, i) => ({
      ...user,
      id: `h${i + 1}`,
      sequence: i + 1,
      content: `m${i + 1}`,
    }));
    // The bus still holds an event about a message the client loaded (a stale replay).
    await bus.publish(CONVERSATION, { type: 'message', message: stored[49] });
    const loads: number[] = [];
    const stream = createConversationStream({
      bus,
      conversationId: CONVERSATION,
      after: 98,
      loadSnapshot: (_, afterSequence) => {
        loads.push(afterSequence);
        return stored.filter((m) => m.sequence > afterSequence);
      },
    });
    const client = fakeClient();
    const stop = stream.subscribe(undefined, client.sink);
    await flush();
    await bus.publish(CONVERSATION, {
      type: 'message',
      message: { ...user, id: 'h101', sequence: 101 },
    });
    await flush();
    stop();
    expect(loads).toEqual([98]);
    expect(client.received.map((e) => (e.event as { message: Message }).message.id)).toEqual([
      'h99',
      'h100',
      'h101',
    ]);
  });

  it('rejects an `after` that is not a sequence', () => {
    const bus = createMemoryBus();
    for (const after of [-1, 1.5, Number.NaN]) {
      expect(() =>
        createConversationStream({
          bus,
          conversationId: CONVERSATION,
          after,
          loadSnapshot: () => [],
        }),
      ).toThrow(/after must be a sequence/);
    }
  });

  it('a subscriber joining mid-reply gets the stored snapshot, then live deltas, each character once', async () => {
    const bus = createMemoryBus();
    const db = fakeDatabase();
    const writer = createReplyWriter({
      bus,
      message: reply,
      persistEveryChars: 4,
      persistEveryMs: 60_000,
      persist: db.persist,
    });
    await writer.start();
    for (const token of ['Hel', 'lo ', 'the', 're']) await writer.append(token);

    const client = fakeClient();
    const stream = createConversationStream({
      bus,
      conversationId: CONVERSATION,
      loadSnapshot: db.slowLoad,
    });
    const stop = stream.subscribe(undefined, client.sink);
    // Published while the catch-up query runs: buffered, then deduplicated against the snapshot.
    await writer.append(', how');
    db.release();
    await flush();
    await writer.append(' are you');
    await writer.complete();
    stop();

    expect(client.problems).toEqual([]);
    expect(view(client.timeline.messages)).toEqual(view([...db.rows.values()]));
    expect(db.rows.get('m2')).toMatchObject({
      content: 'Hello there, how are you',
      status: 'complete',
    });
  });

  it('resumes from its own Last-Event-ID on a second stream (another instance) without repeats', async () => {
    const bus = createMemoryBus();
    const db = fakeDatabase();
    const persist = async (update: {
      messageId: string;
      content: string;
      status: Message['status'];
    }) => {
      db.rows.set(update.messageId, { ...db.rows.get(update.messageId)!, ...update });
    };
    const writer = createReplyWriter({
      bus,
      message: reply,
      persistEveryChars: 1000,
      persistEveryMs: 60_000,
      persist,
    });
    await writer.start();
    const client = fakeClient();
    const a = createConversationStream({
      bus,
      conversationId: CONVERSATION,
      loadSnapshot: db.load,
    });
    const stopA = a.subscribe(undefined, client.sink);
    await flush();
    await writer.append('one ');
    await writer.append('two ');
    stopA();
    await writer.append('three ');
    const b = createConversationStream({
      bus,
      conversationId: CONVERSATION,
      loadSnapshot: db.load,
    });
    b.subscribe(client.lastId(), client.sink);
    await flush();
    await writer.append('four');
    await writer.complete();
    expect(client.problems).toEqual([]);
    expect(client.timeline.getById('m2')).toMatchObject({
      content: 'one two three four',
      status: 'complete',
    });
    // The resumed stream did not send the user's message again: its sequence is below the cursor's watermark.
    expect(
      client.received.filter(
        (entry) => entry.event.type === 'message' && entry.event.message.id === 'm1',
      ),
    ).toHaveLength(1);
  });

  it('an immediate reconnect while the stored reply lags gets no snapshot shorter or behind its cursor (issue 15)', async () => {
    const { db, writer, client, connect } = resumingClient(5);
    let stop = connect();
    await flush();
    await writer.start();
    // Each reconnect comes while the store is behind what the client was sent.
    for (const token of ['Hel', 'lo', ' wo', 'rl', 'd, ', 'how', ' are', ' you']) {
      await writer.append(token);
      expect(db.rows.get('m2')!.content.length).toBeLessThanOrEqual(writer.content.length);
      stop();
      stop = connect();
      await flush();
    }
    await writer.complete();
    await flush();
    stop();
    expect(client.literal.problems).toEqual([]);
    expect(client.literal.messages.get('m2')).toMatchObject({
      content: 'Hello world, how are you',
      status: 'complete',
    });
  });

  it('the cursor carries the open reply on through resumes that sent no snapshot of it', async () => {
    const { db, writer, client, connect } = resumingClient(1000);
    let stop = connect();
    await flush();
    await writer.start();
    await writer.append('one ');
    // The store never catches up: every resume finds the reply pending and empty.
    for (const token of ['two ', 'three ', 'four ']) {
      stop();
      stop = connect();
      await flush();
      await writer.append(token);
      await flush();
    }
    stop();
    stop = connect();
    await flush();
    stop();
    expect(db.rows.get('m2')).toMatchObject({ content: '', status: 'pending' });
    expect(client.literal.problems).toEqual([]);
    expect(client.literal.messages.get('m2')).toMatchObject({
      content: 'one two three four ',
      status: 'streaming',
    });
  });

  it('a reply ended shorter than the client has it (finished from a lagging store) ends it with a status, not a shorter snapshot', async () => {
    const { bus, db, writer, client, connect } = resumingClient(1000);
    let stop = connect();
    await flush();
    await writer.start();
    await writer.append('text the store never got');
    // The writer's process died; the reply is ended from what was stored, on a resumed connection too.
    stop();
    stop = connect();
    await flush();
    const stored = { ...db.rows.get('m2')!, status: 'failed' as const, error: 'interrupted' };
    db.rows.set('m2', stored);
    await bus.publish(CONVERSATION, { type: 'message', message: stored });
    await flush();
    stop();
    expect(client.received.at(-1)?.event).toEqual({
      type: 'status',
      messageId: 'm2',
      status: 'failed',
      error: 'interrupted',
    });
    expect(client.literal.problems).toEqual([]);
    expect(client.literal.messages.get('m2')).toMatchObject({
      content: 'text the store never got',
      status: 'failed',
    });
  });

  it.each([
    ['malformed', 'not-a-cursor'],
    ['forged (checksum wrong)', '999.5.00000000'],
    ['from another conversation', undefined],
    ['huge', '9'.repeat(5000)],
    ['with a line break', '1.1.abcdef01\n'],
  ])('a %s Last-Event-ID gets a full catch-up, not an error', async (_, forged) => {
    const bus = createMemoryBus();
    const db = fakeDatabase();
    await bus.publish(CONVERSATION, { type: 'message', message: user });
    // A real cursor, but for another conversation: its check does not match.
    let cursor = forged;
    if (cursor === undefined) {
      const other = fakeClient('c2');
      createConversationStream({
        bus,
        conversationId: 'c2',
        loadSnapshot: async () => [{ ...user, conversationId: 'c2' }],
      }).subscribe(undefined, other.sink);
      await flush();
      cursor = other.lastId();
    }
    const client = fakeClient();
    const onError = vi.fn();
    createConversationStream({
      bus,
      conversationId: CONVERSATION,
      loadSnapshot: db.load,
      onError,
    }).subscribe(cursor, client.sink);
    await flush();
    expect(onError).not.toHaveBeenCalled();
    expect(client.closed).toBe(false);
    expect(view(client.timeline.messages)).toEqual(view([user, reply]));
  });

  it('cuts a delta that overlaps the snapshot to its new part', async () => {
    const bus = createMemoryBus();
    const db = fakeDatabase();
    db.rows.set('m2', { ...reply, content: 'Hel', status: 'streaming' });
    const client = fakeClient();
    createConversationStream({
      bus,
      conversationId: CONVERSATION,
      loadSnapshot: db.slowLoad,
    }).subscribe(undefined, client.sink);
    await bus.publish(CONVERSATION, { type: 'delta', messageId: 'm2', offset: 0, text: 'Hello' });
    db.release();
    await flush();
    expect(client.received.at(-1)?.event).toEqual({
      type: 'delta',
      messageId: 'm2',
      offset: 3,
      text: 'lo',
    });
    expect(client.problems).toEqual([]);
  });

  it('closes the stream (so the client reconnects) when loadSnapshot fails, and reports why', async () => {
    const bus = createMemoryBus();
    const onError = vi.fn();
    const client = fakeClient();
    createConversationStream({
      bus,
      conversationId: CONVERSATION,
      loadSnapshot: async () => {
        throw new Error('database down');
      },
      onError,
    }).subscribe(undefined, client.sink);
    await flush();
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'database down' }));
    expect(client.closed).toBe(true);
    expect(bus.subscribers(CONVERSATION)).toBe(0);
  });

  it('heals a reply whose deltas could not be published: the next event is the whole message', async () => {
    const bus = createMemoryBus();
    const db = fakeDatabase();
    const client = fakeClient();
    createConversationStream({
      bus,
      conversationId: CONVERSATION,
      loadSnapshot: db.load,
    }).subscribe(undefined, client.sink);
    await flush();
    let down = false;
    const flaky = {
      ...bus,
      publish: (id: string, event: unknown) =>
        down ? Promise.reject(new Error('bus down')) : bus.publish(id, event),
    };
    const onError = vi.fn();
    const writer = createReplyWriter({
      bus: flaky,
      message: reply,
      persist: async () => {},
      onError,
    });
    await writer.start();
    await writer.append('a');
    down = true;
    await writer.append('b');
    down = false;
    await writer.append('c');
    await writer.complete();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(client.timeline.getById('m2')).toMatchObject({ content: 'abc', status: 'complete' });
  });

  it('property: any join point, catch-up delay, persist cadence and reconnect converge, each delta exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 25 }),
        fc.nat({ max: 30 }),
        fc.nat({ max: 5 }),
        fc.integer({ min: 1, max: 12 }),
        fc.option(fc.nat({ max: 30 })),
        async (tokens, joinAt, catchUpAfter, persistEveryChars, reconnectAt) => {
          const { bus, db, writer, client } = resumingClient(persistEveryChars);
          let stop: (() => void) | undefined;
          let releaseAt = -1;
          const steps = [
            () => writer.start(),
            ...tokens.map((token) => () => writer.append(token)),
            () => writer.complete(),
          ];
          for (let step = 0; step <= steps.length; step++) {
            if (step === Math.min(joinAt, steps.length)) {
              stop = createConversationStream({
                bus,
                conversationId: CONVERSATION,
                loadSnapshot: db.slowLoad,
              }).subscribe(undefined, client.sink);
              releaseAt = step + catchUpAfter;
            }
            if (step >= releaseAt) db.release();
            await flush();
            if (reconnectAt !== null && step === reconnectAt && stop) {
              stop();
              stop = createConversationStream({
                bus,
                conversationId: CONVERSATION,
                loadSnapshot: db.load,
              }).subscribe(client.lastId(), client.sink);
              await flush();
            }
            if (step < steps.length) await steps[step]!();
          }
          db.release();
          await flush();
          stop?.();
          expect(client.problems).toEqual([]);
          expect(client.literal.problems).toEqual([]);
          expect(view(client.timeline.messages)).toEqual(view([...db.rows.values()]));
          expect(view([...client.literal.messages.values()] as Message[])).toEqual(
            view([...db.rows.values()]),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
