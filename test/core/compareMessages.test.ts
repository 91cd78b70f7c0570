import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareIds, compareMessages, type TimelineMessage } from '../../src/index';
import { serverMessage } from './fixtures';

const sortIds = (messages: TimelineMessage[]) =>
  [...messages].sort(compareMessages).map((m) => m.id);

describe('compareMessages', () => {
  it('orders by sequence before anything else', () => {
    const late = serverMessage({ id: 'a', sequence: 2, createdAt: '2026-01-01T00:00:00.000Z' });
    const early = serverMessage({ id: 'b', sequence: 1, createdAt: '2026-01-01T09:00:00.000Z' });
    expect(sortIds([late, early])).toEqual(['b', 'a']);
  });

  // The original bug: two messages written in the same millisecond.
  it('breaks a same-millisecond tie by the microseconds it arrived with', () => {
    const second = serverMessage({
      id: '1',
      sequence: null,
      createdAt: '2026-01-01T00:00:00.123999Z',
    });
    const first = serverMessage({
      id: '2',
      sequence: null,
      createdAt: '2026-01-01T00:00:00.123456Z',
    });
    expect(sortIds([second, first])).toEqual(['2', '1']);
  });

  it('breaks a full timestamp tie by id, numeric-aware', () => {
    const ten = serverMessage({ id: '10', sequence: null });
    const nine = serverMessage({ id: '9', sequence: null });
    expect(sortIds([ten, nine])).toEqual(['9', '10']);
  });

  // The original bug: the assistant row's createdAt is earlier than the user's prompt.
  it('puts an assistant reply after its prompt even when the reply was created earlier', () => {
    const prompt = serverMessage({ id: 'u', sequence: 7, createdAt: '2026-01-01T00:00:00.500Z' });
    const reply = serverMessage({
      id: 'a',
      sequence: 8,
      role: 'assistant',
      createdAt: '2026-01-01T00:00:00.499Z',
    });
    expect(sortIds([reply, prompt])).toEqual(['u', 'a']);
  });

  // The original bug: the client clock runs hours ahead of the server.
  it('places an optimistic message after what it was sent after, whatever the client clock says', () => {
    const sentAfter = serverMessage({ id: 's5', sequence: 5, createdAt: '2026-01-01T00:00:00Z' });
    const later = serverMessage({ id: 's6', sequence: 6, createdAt: '2026-01-01T00:00:01Z' });
    const optimistic: TimelineMessage = {
      ...serverMessage({ id: 'local', sequence: null, createdAt: '2026-01-01T05:00:00Z' }),
      sendOrder: { afterSequence: 5, index: 0 },
    };
    const behindClock: TimelineMessage = {
      ...serverMessage({ id: 'local2', sequence: null, createdAt: '2025-12-31T00:00:00Z' }),
      sendOrder: { afterSequence: 5, index: 1 },
    };
    expect(sortIds([later, behindClock, optimistic, sentAfter])).toEqual([
      's5',
      'local',
      'local2',
      's6',
    ]);
  });

  it('compares timestamps across time zones', () => {
    const utc = serverMessage({
      id: 'a',
      sequence: null,
      createdAt: '2026-01-01T10:00:00.000001Z',
    });
    const offset = serverMessage({
      id: 'b',
      sequence: null,
      createdAt: '2026-01-01 11:00:00+01:00',
    });
    expect(sortIds([utc, offset])).toEqual(['b', 'a']);
  });

  it('is a strict total order (antisymmetric, transitive, consistent with sort)', () => {
    const timestamp = fc
      .record({
        second: fc.integer({ min: 0, max: 3 }),
        fraction: fc.constantFrom('', '.1', '.100', '.123', '.123456', '.1234560', '.999999'),
        zone: fc.constantFrom('Z', '+00:00', '+01:00', '-02:30'),
      })
      .map(({ second, fraction, zone }) => `2026-01-01T01:00:0${second}${fraction}${zone}`);
    const message = fc
      .record({
        id: fc.constantFrom('1', '2', '9', '10', '010', 'a', 'a2', 'a10', 'b'),
        sequence: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
        createdAt: timestamp,
        sendOrder: fc.option(
          fc.record({
            afterSequence: fc.integer({ min: 0, max: 4 }),
            index: fc.integer({ min: 0, max: 3 }),
          }),
          { nil: undefined },
        ),
      })
      .map(({ sendOrder, ...fields }): TimelineMessage => {
        const base = serverMessage(fields);
        return sendOrder && fields.sequence === null ? { ...base, sendOrder } : base;
      });
    fc.assert(
      fc.property(message, message, message, (a, b, c) => {
        expect(Math.sign(compareMessages(a, b)) + Math.sign(compareMessages(b, a))).toBe(0);
        if (compareMessages(a, b) < 0 && compareMessages(b, c) < 0) {
          expect(compareMessages(a, c)).toBeLessThan(0);
        }
        // Only the same message (same id) compares equal: distinct messages never tie.
        if (compareMessages(a, b) === 0) expect(a.id).toBe(b.id);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('compareIds', () => {
  it.each([
    ['9', '10'],
    ['msg-2', 'msg-10'],
    ['01', '1'],
    ['a', 'b'],
    ['A', 'a'],
    ['x9y', 'x10'],
  ])('%s sorts before %s', (a, b) => {
    expect(compareIds(a, b)).toBeLessThan(0);
    expect(compareIds(b, a)).toBeGreaterThan(0);
  });
});
