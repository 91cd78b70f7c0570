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
    expect(one.texts()).toEqual(['a', 'b']);
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
});
