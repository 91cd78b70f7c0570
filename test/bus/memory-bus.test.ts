import { describe, expect, it } from 'vitest';
import { StreamEventError } from '../../src/index';
import { type BusEntry, createMemoryBus, MessageBusError } from '../../src/server/index';

const delta = (offset: number, text: string) => ({
  type: 'delta' as const,
  messageId: 'm2',
  offset,
  text,
});

function collector() {
  const entries: BusEntry[] = [];
  return { entries, sink: { event: (entry: BusEntry) => entries.push(entry) } };
}

describe('createMemoryBus', () => {
  it('replays after a cursor, then delivers live, in order', async () => {
    const bus = createMemoryBus();
    expect(await bus.publish('c1', delta(0, 'a'))).toBe('1');
    expect(await bus.publish('c1', delta(1, 'b'))).toBe('2');
    const { entries, sink } = collector();
    const stop = bus.subscribe('c1', '1', sink);
    await bus.publish('c1', delta(2, 'c'));
    stop();
    await bus.publish('c1', delta(3, 'd'));
    expect(entries.map((entry) => entry.cursor)).toEqual(['2', '3']);
    expect(entries.map((entry) => (entry.event.type === 'delta' ? entry.event.text : ''))).toEqual([
      'b',
      'c',
    ]);
  });

  it('keeps conversations apart', async () => {
    const bus = createMemoryBus();
    const { entries, sink } = collector();
    bus.subscribe('c1', undefined, sink);
    await bus.publish('c2', delta(0, 'x'));
    expect(entries).toEqual([]);
    expect(bus.subscribers('c1')).toBe(1);
  });

  it.each([['garbage'], ['-1'], ['99'], ['1e3'], ['01'], [''], ['9'.repeat(40)]])(
    'replays everything it holds for the unknown cursor %j instead of failing',
    async (cursor) => {
      const bus = createMemoryBus();
      await bus.publish('c1', delta(0, 'a'));
      await bus.publish('c1', delta(1, 'b'));
      const { entries, sink } = collector();
      bus.subscribe('c1', cursor, sink);
      expect(entries.map((entry) => entry.cursor)).toEqual(['1', '2']);
    },
  );

  it('drops the oldest entries past maxLength, keeping cursors absolute', async () => {
    const bus = createMemoryBus({ maxLength: 2 });
    for (let i = 0; i < 5; i++) await bus.publish('c1', delta(i, 'x'));
    expect(bus.entries('c1').map((entry) => entry.cursor)).toEqual(['4', '5']);
    const { entries, sink } = collector();
    bus.subscribe('c1', '4', sink);
    expect(entries.map((entry) => entry.cursor)).toEqual(['5']);
  });

  it('rejects an invalid event and publishes nothing', async () => {
    const bus = createMemoryBus();
    await expect(
      bus.publish('c1', { type: 'delta', messageId: 'm', offset: -1, text: 'x' }),
    ).rejects.toThrow(StreamEventError);
    expect(bus.entries('c1')).toEqual([]);
  });

  it('rejects a bad conversation id and bad options with what to do', async () => {
    const bus = createMemoryBus();
    await expect(bus.publish('', delta(0, 'a'))).rejects.toThrow(
      /\[seqline\] \[bus\] \[memory\] conversationId/,
    );
    expect(() => createMemoryBus({ maxLength: 0 })).toThrow(MessageBusError);
  });

  it('stops delivering on close', async () => {
    const bus = createMemoryBus();
    const { entries, sink } = collector();
    bus.subscribe('c1', undefined, sink);
    await bus.close();
    await expect(bus.publish('c1', delta(0, 'a'))).rejects.toThrow(/after close/);
    expect(entries).toEqual([]);
  });
});
