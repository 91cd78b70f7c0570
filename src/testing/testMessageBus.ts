import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamEventError } from '../core/errors';
import { type BusEntry, type MessageBus, MessageBusError } from '../server/bus/messageBus';

/** Options for {@link testMessageBus}. */
export interface TestMessageBusOptions<Bus extends MessageBus> {
  /**
   * Builds a bus, as one app instance would. Called twice per case that
   * checks delivery between instances, so two buses must share the backend
   * (two connections, two pools). Every case uses fresh conversation ids.
   */
  create: () => Bus | Promise<Bus>;
  /**
   * Called once after the last case with every bus `create` made (after
   * the suite closed them), e.g. to end pools.
   * @default nothing
   */
  teardown?: () => unknown;
  /**
   * Name shown in the `describe` block.
   * @default 'bus'
   */
  name?: string;
  /**
   * A well-formed cursor far after anything the suite publishes (a forged
   * `Last-Event-ID`); subscribing from it must replay from the start.
   * @example '99999' for positions, '99999999999999-0' for Redis stream ids
   */
  futureCursor?: string;
  /**
   * Breaks the bus's connection under it (e.g. kills its listening
   * connection). When given, a case checks that subscribers are told to
   * resync and that delivery goes on.
   * @default the resync case is not run
   */
  interrupt?: (bus: Bus) => Promise<unknown>;
  /**
   * The bus lives in one process (the memory bus): the cases that need two
   * instances use one bus for both.
   * @default false
   */
  singleInstance?: boolean;
  /**
   * Milliseconds a wait for delivery may take before the case fails.
   * @default 5000
   */
  timeoutMs?: number;
}

/**
 * Registers the seqline bus conformance suite with vitest: the one set of
 * cases every `MessageBus` in seqline passes (memory, Redis, Redis Cluster,
 * Postgres), and that a bus on your own `BusDriver` can run. Call it at the
 * top level of a test file. It needs `vitest` (an optional peer dependency).
 *
 * Cases: replay after a cursor, then live, across two instances; a late
 * joiner gets the history it lacks, once; conversations stay apart; one bus
 * carries many conversations, each in order; concurrent publishers are
 * delivered to every subscriber in cursor order, once each; unknown,
 * malformed and forged cursors replay from the start; an unsubscribed sink
 * gets nothing more; invalid events and conversation ids are rejected
 * (`StreamEventError`, `MessageBusError` `invalid_conversation_id`) and
 * publish nothing; a closed bus rejects publish (`closed`) and subscribes
 * to nothing; and, given `interrupt`, a broken connection resyncs and
 * recovers.
 *
 * @example
 * // test/my-bus.test.ts
 * import { createMessageBus } from 'seqline/server';
 * import { testMessageBus } from 'seqline/testing';
 * testMessageBus({ name: 'nats', create: () => createMessageBus({ driver: createNatsDriver() }) });
 */
export function testMessageBus<Bus extends MessageBus>(options: TestMessageBusOptions<Bus>): void {
  const timeoutMs = options.timeoutMs ?? 5000;
  const buses: Bus[] = [];
  const open = async () => {
    const bus = await options.create();
    buses.push(bus);
    return bus;
  };
  const waitFor = async (check: () => boolean, what: string) => {
    const until = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  /** Waits a little longer for anything that should not come. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

  describe(`${options.name ?? 'bus'} (seqline bus conformance)`, () => {
    let a: Bus;
    let b: Bus;
    beforeAll(async () => {
      a = await open();
      b = options.singleInstance ? a : await open();
    });
    afterAll(async () => {
      for (const bus of buses) await bus.close();
      await options.teardown?.();
    });

    it('replays after a cursor, then delivers live, across instances', async () => {
      const id = conversation();
      const first = await a.publish(id, delta(0, 'a'));
      expect(typeof first).toBe('string');
      const second = await a.publish(id, delta(1, 'b'));
      const seen = collector();
      const stop = b.subscribe(id, first, seen.sink);
      await waitFor(() => seen.entries.length === 1, 'the replay');
      const third = await a.publish(id, delta(2, 'c'));
      await waitFor(() => seen.entries.length === 2, 'the live entry');
      stop();
      await a.publish(id, delta(3, 'd'));
      await settle();
      expect(seen.texts()).toEqual(['b', 'c']);
      // The cursors are the ones publish returned, the same on every instance.
      expect(seen.cursors()).toEqual([second, third]);
    });

    it('a late joiner on the same instance gets the history it lacks, once', async () => {
      const id = conversation();
      const early = collector();
      b.subscribe(id, undefined, early.sink);
      for (let i = 0; i < 5; i++) await a.publish(id, delta(i, String(i)));
      await waitFor(() => early.entries.length === 5, 'the early subscriber');
      const late = collector();
      b.subscribe(id, undefined, late.sink);
      for (let i = 5; i < 8; i++) await a.publish(id, delta(i, String(i)));
      await waitFor(() => late.entries.length >= 8 && early.entries.length >= 8, 'both');
      await settle();
      expect(late.texts()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
      expect(early.texts()).toEqual(late.texts());
    });

    it('keeps conversations apart', async () => {
      const [one, two] = [conversation(), conversation()];
      const seen = collector();
      b.subscribe(one, undefined, seen.sink);
      await a.publish(two, delta(0, 'x'));
      await a.publish(one, delta(0, 'y'));
      await waitFor(() => seen.entries.length === 1, 'the entry of its own conversation');
      await settle();
      expect(seen.texts()).toEqual(['y']);
    });

    it('one bus carries many conversations, each in order', async () => {
      const ids = Array.from({ length: 20 }, conversation);
      const seen = ids.map(() => collector());
      for (const [i, id] of ids.entries()) b.subscribe(id, undefined, seen[i]!.sink);
      for (let round = 0; round < 5; round++) {
        await Promise.all(ids.map((id) => a.publish(id, delta(round, String(round)))));
      }
      await waitFor(() => seen.every((s) => s.entries.length === 5), 'all conversations');
      for (const s of seen) expect(s.texts()).toEqual(['0', '1', '2', '3', '4']);
    });

    it('concurrent publishers: every subscriber gets every entry in cursor order, once', async () => {
      const id = conversation();
      const subs = [collector(), collector(), collector()];
      for (const [i, s] of subs.entries()) (i === 0 ? a : b).subscribe(id, undefined, s.sink);
      const late = collector();
      const cursors: string[] = [];
      await Promise.all(
        Array.from({ length: 4 }, async (_, w) => {
          for (let i = 0; i < 25; i++)
            cursors.push(await (w % 2 ? a : b).publish(id, delta(w * 25 + i, 'x')));
          // Joins mid-burst: its replay and the live entries overlap.
          if (w === 0) b.subscribe(id, undefined, late.sink);
        }),
      );
      for (const s of [...subs, late]) {
        await waitFor(() => s.entries.length >= 100, 'all 100 entries');
        await settle();
        expect(new Set(s.cursors()).size).toBe(100);
        expect(s.cursors().sort()).toEqual([...cursors].sort());
        expect(s.cursors()).toEqual(subs[0]!.cursors());
      }
    });

    it.each([
      ['garbage'],
      ['-1'],
      ['1.5'],
      ['1e3'],
      ['01'],
      [''],
      ['$'],
      ['1-2-3'],
      ['9'.repeat(40)],
    ])('replays from the start for the cursor %j instead of failing', async (cursor) => {
      const id = conversation();
      await a.publish(id, delta(0, 'a'));
      await a.publish(id, delta(1, 'b'));
      const seen = collector();
      b.subscribe(id, cursor, seen.sink);
      await waitFor(() => seen.entries.length === 2, 'the replay from the start');
      expect(seen.texts()).toEqual(['a', 'b']);
    });

    it.runIf(options.futureCursor !== undefined)(
      'replays from the start for a forged cursor after the head, and still delivers live',
      async () => {
        const id = conversation();
        await a.publish(id, delta(0, 'a'));
        const forged = collector();
        b.subscribe(id, options.futureCursor, forged.sink);
        const honest = collector();
        b.subscribe(id, undefined, honest.sink);
        await waitFor(() => forged.entries.length === 1, 'the replay from the start');
        await a.publish(id, delta(1, 'b'));
        await waitFor(() => forged.entries.length === 2 && honest.entries.length === 2, 'live');
        expect(forged.texts()).toEqual(['a', 'b']);
        expect(honest.texts()).toEqual(['a', 'b']);
      },
    );

    it('an unsubscribed sink gets nothing more; a new subscription on the id works', async () => {
      const id = conversation();
      const gone = collector();
      const stop = b.subscribe(id, undefined, gone.sink);
      await a.publish(id, delta(0, 'a'));
      await waitFor(() => gone.entries.length === 1, 'the first entry');
      stop();
      stop();
      await a.publish(id, delta(1, 'b'));
      const again = collector();
      b.subscribe(id, undefined, again.sink);
      await waitFor(() => again.entries.length === 2, 'the new subscription');
      await settle();
      expect(gone.texts()).toEqual(['a']);
    });

    it('rejects an invalid event and publishes nothing', async () => {
      const id = conversation();
      const seen = collector();
      b.subscribe(id, undefined, seen.sink);
      await expect(a.publish(id, { type: 'nope' })).rejects.toThrow(StreamEventError);
      await expect(
        a.publish(id, { type: 'delta', messageId: 'm', offset: -1, text: 'x' }),
      ).rejects.toThrow(StreamEventError);
      await a.publish(id, delta(0, 'ok'));
      await waitFor(() => seen.entries.length === 1, 'the valid entry');
      await settle();
      expect(seen.texts()).toEqual(['ok']);
    });

    it('rejects a bad conversation id with MessageBusError invalid_conversation_id', async () => {
      for (const bad of ['', 'é'.repeat(128), 42]) {
        const publish = a.publish(bad as string, delta(0, 'x'));
        await expect(publish).rejects.toThrow(MessageBusError);
        await expect(publish).rejects.toMatchObject({ code: 'invalid_conversation_id' });
        expect(() => a.subscribe(bad as string, undefined, { event() {} })).toThrow(
          expect.objectContaining({ code: 'invalid_conversation_id' }),
        );
      }
      // Exactly 255 UTF-8 bytes is allowed.
      const longest = `${'é'.repeat(127)}${randomUUID().slice(0, 1)}`;
      const seen = collector();
      b.subscribe(longest, undefined, seen.sink);
      await a.publish(longest, delta(0, 'x'));
      await waitFor(() => seen.entries.length >= 1, 'the 255-byte conversation');
    });

    // Registered only with `interrupt`: a bus without a connection (memory) has nothing to break,
    // and a skipped case would read as a gap in a backend's run.
    const interrupt = options.interrupt;
    if (interrupt) {
      it('a broken connection: subscribers resync and delivery goes on', async () => {
        const bus = await open();
        const id = conversation();
        const seen = collector();
        bus.subscribe(id, undefined, seen.sink);
        await a.publish(id, delta(0, 'a'));
        await waitFor(() => seen.entries.length === 1, 'the first entry');
        await interrupt(bus);
        await a.publish(id, delta(1, 'b'));
        await waitFor(() => seen.resyncs() >= 1, 'a resync');
        await a.publish(id, delta(2, 'c'));
        await waitFor(() => seen.texts().includes('c'), 'live again');
        // Whatever the backend kept arrives in order, once.
        expect(new Set(seen.cursors()).size).toBe(seen.entries.length);
      });
    }

    it('close(): publish rejects with closed, subscribe delivers nothing', async () => {
      const bus = await open();
      const id = conversation();
      const seen = collector();
      bus.subscribe(id, undefined, seen.sink);
      await bus.close();
      await expect(bus.publish(id, delta(0, 'a'))).rejects.toMatchObject({ code: 'closed' });
      const stop = bus.subscribe(id, undefined, seen.sink);
      expect(typeof stop).toBe('function');
      stop();
      await a.publish(id, delta(0, 'b'));
      await settle();
      expect(seen.entries).toEqual([]);
      await bus.close();
    });
  });
}

// ---------------------------------------------------------------------------

const conversation = () => `seqline-conformance-${randomUUID()}`;

const delta = (offset: number, text: string) => ({
  type: 'delta' as const,
  messageId: 'm2',
  offset,
  text,
});

function collector() {
  const entries: BusEntry[] = [];
  let resyncs = 0;
  return {
    entries,
    resyncs: () => resyncs,
    cursors: () => entries.map((e) => e.cursor),
    texts: () => entries.map((e) => (e.event.type === 'delta' ? e.event.text : e.event.type)),
    sink: { event: (entry: BusEntry) => void entries.push(entry), resync: () => void resyncs++ },
  };
}
