/**
 * The memory bus: the conformance suite, then what only it has (a bounded
 * replay with absolute cursors, synchronous delivery, its test views).
 */
import { describe, expect, it } from 'vitest';
import { createMemoryBus, MessageBusError } from '../../src/server/index';
import { testMessageBus } from '../../src/testing/index';
import { collector, delta } from '../support/bus';

testMessageBus({
  name: 'createMemoryBus',
  create: () => createMemoryBus(),
  singleInstance: true,
  futureCursor: '99',
});

describe('createMemoryBus', () => {
  it('replays and delivers synchronously, inside subscribe and publish', async () => {
    const bus = createMemoryBus();
    expect(await bus.publish('c1', delta(0, 'a'))).toBe('1');
    expect(await bus.publish('c1', delta(1, 'b'))).toBe('2');
    const { entries, sink } = collector();
    const stop = bus.subscribe('c1', '1', sink);
    expect(entries.map((entry) => entry.cursor)).toEqual(['2']);
    const publishing = bus.publish('c1', delta(2, 'c'));
    expect(entries.map((entry) => entry.cursor)).toEqual(['2', '3']);
    await publishing;
    stop();
  });

  it('counts subscribers per conversation', async () => {
    const bus = createMemoryBus();
    const stop = bus.subscribe('c1', undefined, collector().sink);
    bus.subscribe('c1', undefined, collector().sink);
    expect(bus.subscribers('c1')).toBe(2);
    expect(bus.subscribers('c2')).toBe(0);
    stop();
    expect(bus.subscribers('c1')).toBe(1);
  });

  it('drops the oldest entries past maxLength, keeping cursors absolute', async () => {
    const bus = createMemoryBus({ maxLength: 2 });
    for (let i = 0; i < 5; i++) await bus.publish('c1', delta(i, 'x'));
    expect(bus.entries('c1').map((entry) => entry.cursor)).toEqual(['4', '5']);
    const { entries, sink } = collector();
    bus.subscribe('c1', '4', sink);
    expect(entries.map((entry) => entry.cursor)).toEqual(['5']);
  });

  it('forgets a conversation nobody follows that holds nothing', () => {
    const bus = createMemoryBus();
    for (let i = 0; i < 100; i++) bus.subscribe(`c${i}`, undefined, collector().sink)();
    expect(bus.conversations()).toBe(0);
  });

  it('rejects bad options and names the bus in its messages', async () => {
    const bus = createMemoryBus();
    await expect(bus.publish('', delta(0, 'a'))).rejects.toThrow(
      /\[seqline\] \[bus\] \[memory\] conversationId/,
    );
    expect(() => createMemoryBus({ maxLength: 0 })).toThrow(MessageBusError);
    expect(() => createMemoryBus({ retainMs: 1.5 })).toThrow(
      expect.objectContaining({ code: 'invalid_option' }),
    );
  });
});
