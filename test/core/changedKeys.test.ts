/**
 * `changedKeys(previous, next)` must report exactly the keys whose message
 * differs, whatever ops led from one value to the other: a UI that notifies
 * only those rows would otherwise show stale text (a key missed) or re-render
 * rows for nothing (a key too many).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addOptimistic,
  applyStreamEvent,
  changedKeys,
  confirmOptimistic,
  createTimeline,
  mergeMessages,
  type Timeline,
} from '../../src/index';
import { serverMessage } from './fixtures';

/** The brute-force answer: compare every key of both values. */
function bruteForce(a: Timeline, b: Timeline): string[] {
  const keys = new Set([...a.keys, ...b.keys]);
  return [...keys].filter((key) => a.get(key) !== b.get(key)).sort();
}

const history = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    serverMessage({ id: `m${i + 1}`, sequence: i + 1, content: 'x', status: 'streaming' }),
  );

describe('changedKeys', () => {
  it('is empty for the same value', () => {
    const timeline = mergeMessages(createTimeline('c1'), history(3));
    expect(changedKeys(timeline, timeline)).toEqual([]);
  });

  it('reports only the message a delta changed in a 5,000-message timeline', () => {
    const timeline = mergeMessages(createTimeline('c1'), history(5_000));
    const next = applyStreamEvent(timeline, {
      type: 'delta',
      messageId: 'm4321',
      offset: 1,
      text: 'yz',
    });
    expect(changedKeys(timeline, next)).toEqual(['m4321']);
    expect(changedKeys(next, timeline)).toEqual(['m4321']);
  });

  it('reports the clientId key of a confirmed optimistic message, not its server id', () => {
    const base = mergeMessages(createTimeline('c1'), history(2));
    const sent = addOptimistic(base, { clientId: 'k1', content: 'hi' });
    expect(changedKeys(base, sent)).toEqual(['k1']);
    const confirmed = confirmOptimistic(
      sent,
      'k1',
      serverMessage({ id: 's3', sequence: 3, clientId: 'k1', content: 'hi' }),
    );
    expect(changedKeys(sent, confirmed)).toEqual(['k1']);
  });

  it('matches a full comparison after any sequence of merges, sends and deltas', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('merge' as const), id: fc.nat(300), text: fc.string() }),
      fc.record({ kind: fc.constant('send' as const), id: fc.nat(40), text: fc.string() }),
      fc.record({ kind: fc.constant('delta' as const), id: fc.nat(300), text: fc.string() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.array(op, { maxLength: 20 }), (a, b) => {
        const apply = (timeline: Timeline, ops: typeof a) =>
          ops.reduce((t, o) => {
            if (o.kind === 'send')
              return addOptimistic(t, { clientId: `c${o.id}`, content: o.text });
            if (o.kind === 'delta') {
              const message = t.getById(`m${o.id}`);
              if (!message) return t;
              return applyStreamEvent(t, {
                type: 'delta',
                messageId: `m${o.id}`,
                offset: message.content.length,
                text: o.text,
              });
            }
            return mergeMessages(t, [
              serverMessage({
                id: `m${o.id}`,
                sequence: o.id + 1,
                content: o.text,
                status: 'streaming',
              }),
            ]);
          }, timeline);
        const first = apply(createTimeline('c1'), a);
        const second = apply(first, b);
        expect(changedKeys(first, second).sort()).toEqual(bruteForce(first, second));
      }),
      { numRuns: 300 },
    );
  });
});
