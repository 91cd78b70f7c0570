/**
 * The shared fan-out's own branching, on the memory driver with its
 * listener captured: a lost connection resyncs every subscriber and reads
 * again; a failed replay is reported (driver_failed) and resyncs only that
 * subscriber, who still goes live; a driver error reaches onError.
 */
import { describe, expect, it } from 'vitest';
import type { DriverListener } from '../../src/server';
import { createMessageBus } from '../../src/server';
import { createMemoryDriver } from '../../src/server/bus/memory';
import { collector, delta } from '../support/bus';

function harness() {
  const { driver } = createMemoryDriver();
  let listener: DriverListener | undefined;
  const errors: unknown[] = [];
  const bus = createMessageBus({
    driver: {
      ...driver,
      open(next) {
        listener = next;
        driver.open(next);
      },
    },
    onError: (error) => errors.push(error),
  });
  return { bus, driver, errors, listener: () => listener! };
}

/**
 * A bus whose reads wait, while `state.holding` (from the start), until `release` resolves
 * them; with `pointerOnly`, announcements come without their entries.
 */
function heldReads(options: { pointerOnly?: boolean } = {}) {
  const { driver } = createMemoryDriver();
  let listener: DriverListener | undefined;
  const held: Array<() => void> = [];
  const state = { holding: true };
  const bus = createMessageBus({
    driver: {
      ...driver,
      open(next) {
        listener = next;
        driver.open(options.pointerOnly ? { ...next, news: (id) => next.news(id) } : next);
      },
      read(id, after, limit) {
        const entries = driver.read(id, after, limit);
        if (!state.holding) return entries;
        return new Promise((resolve) => held.push(() => resolve(entries)));
      },
    },
  });
  /** Resolves the held reads one at a time, each a task apart, until none is left. */
  const release = async (order: 'fifo' | 'lifo' = 'fifo') => {
    while (held.length > 0) {
      (order === 'fifo' ? held.shift() : held.pop())!();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  };
  return { bus, driver, state, release, listener: () => listener! };
}

describe('createMessageBus', () => {
  it('lost(): every subscriber of every conversation is told to resync, and delivery goes on', async () => {
    const { bus, listener } = harness();
    const [one, two] = [collector(), collector()];
    bus.subscribe('c1', undefined, one.sink);
    bus.subscribe('c2', undefined, two.sink);
    await bus.publish('c1', delta(0, 'a'));
    listener().lost();
    expect([one.resyncs(), two.resyncs()]).toEqual([1, 1]);
    await bus.publish('c1', delta(1, 'b'));
    // After lost() entries come through the re-read, a task later.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(one.texts()).toEqual(['a', 'b']);
  });

  // Regression: CI lost deltas across a Redis restart. The re-read after lost() and the next
  // announcement (which carries its entry, on another connection) raced: the announcement was
  // delivered first, and the re-read's older entries were then dropped as already seen.
  it('after lost(), an announcement that overtakes the re-read waits for it: nothing between is dropped', async () => {
    const { bus, driver, state, release, listener } = heldReads();
    state.holding = false;
    const seen = collector();
    bus.subscribe('c1', undefined, seen.sink);
    await bus.publish('c1', delta(0, 'a'));
    // While the connection is down, 'b' is appended and its announcement never comes.
    driver.unwatch('c1');
    driver.append('c1', delta(1, 'b'));
    state.holding = true;
    listener().lost(); // the re-read (of 'b') is in flight…
    const event = delta(2, 'c');
    const cursor = driver.append('c1', event) as string;
    listener().news('c1', [{ cursor, event }]); // …when the next announcement arrives with its entry
    await release();
    expect(seen.texts()).toEqual(['a', 'b', 'c']);
    expect(seen.resyncs()).toBe(1);
  });

  it('news without entries reads what is new once, for every subscriber', async () => {
    const { bus, driver, listener } = harness();
    const [one, two] = [collector(), collector()];
    bus.subscribe('c1', undefined, one.sink);
    bus.subscribe('c1', undefined, two.sink);
    // Appended behind the fan-out's back (as a driver whose wake-up carries no entries).
    driver.unwatch('c1');
    driver.append('c1', delta(0, 'a') as never);
    listener().news('c1');
    await new Promise((resolve) => setTimeout(resolve, 0));
    // A repeat of the same wake-up, naming a cursor already read, delivers nothing twice.
    listener().news('c1', undefined, '1');
    listener().news('c1');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(one.texts()).toEqual(['a']);
    expect(two.texts()).toEqual(['a']);
  });

  it('a failed replay is reported as driver_failed and resyncs that subscriber, who still goes live', async () => {
    const { driver } = createMemoryDriver();
    const errors: unknown[] = [];
    let fail = true;
    const bus = createMessageBus({
      driver: {
        ...driver,
        read(id, after, limit) {
          if (fail) {
            fail = false;
            throw new Error('read broke');
          }
          return driver.read(id, after, limit);
        },
      },
      onError: (error) => errors.push(error),
    });
    const seen = collector();
    bus.subscribe('c1', undefined, seen.sink);
    expect(seen.resyncs()).toBe(1);
    expect(errors).toEqual([expect.objectContaining({ code: 'driver_failed' })]);
    await bus.publish('c1', delta(0, 'a'));
    expect(seen.texts()).toEqual(['a']);
  });
  // Regression: a subscriber whose replay read less than the first one to hand over went live at
  // the shared position and never got what lay between (seen as lost entries on the Postgres bus
  // with concurrent publishers and joiners).
  it('a joiner whose replay read less than the shared position reads the rest before going live', async () => {
    // Announcements come without entries (a pointer-only driver), and reads resolve when told.
    const { bus, driver, release, listener } = heldReads({ pointerOnly: true });
    const [early, late] = [collector(), collector()];
    bus.subscribe('c1', undefined, early.sink); // its replay reads now: nothing yet
    driver.append('c1', delta(0, 'a') as never);
    listener().news('c1');
    bus.subscribe('c1', undefined, late.sink); // its replay reads now: 'a'
    await release('lifo'); // the later reader hands over first, the early one after it
    await bus.publish('c1', delta(1, 'b'));
    await release('lifo');
    expect(late.texts()).toEqual(['a', 'b']);
    expect(early.texts()).toEqual(['a', 'b']);
  });
});
