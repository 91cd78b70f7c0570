/**
 * Client-side limits against hostile or broken servers: a message whose
 * extra fields nest 5,000 deep (JSON.stringify would throw a RangeError) or
 * in a cycle is a typed ValidationError, and deltas ahead of the content
 * wait in a bounded list instead of piling up.
 */
import { describe, expect, it } from 'vitest';
import { MAX_WAITING_DELTAS } from '../../src/core/timeline/waitingDeltas';
import {
  applyStreamEvent,
  createTimeline,
  type Message,
  parseMessage,
  ValidationError,
} from '../../src/index';
import { pendingReply } from '../support/bus';

const message: Message = { ...pendingReply, status: 'streaming' };

function nested(depth: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let at = root;
  for (let i = 0; i < depth; i++) {
    const next = {};
    at.a = i % 2 ? next : [next];
    at = next;
  }
  return root;
}

describe('hostile input on the client', () => {
  it('refuses extra fields nested too deep, or in a cycle, with a typed error', () => {
    expect(() => parseMessage({ ...message, meta: nested(5_000) })).toThrow(ValidationError);
    expect(() => parseMessage({ ...message, meta: nested(5_000) })).toThrow(
      /must nest at most 64 levels deep/,
    );
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => parseMessage({ ...message, meta: cycle })).toThrow(ValidationError);
    // What it accepts, it can serialise.
    const ok = parseMessage({ ...message, meta: nested(40) });
    expect(() => JSON.stringify(ok)).not.toThrow();
  });

  it(`holds at most ${MAX_WAITING_DELTAS} deltas ahead of the content, keeping those nearest to it`, () => {
    let timeline = applyStreamEvent(createTimeline('c1'), { type: 'message', message });
    // 10,000 one-character deltas, all ahead of the (empty) content, furthest first.
    for (let offset = 10_000; offset >= 1; offset--) {
      timeline = applyStreamEvent(timeline, { type: 'delta', messageId: 'm2', offset, text: 'x' });
    }
    timeline = applyStreamEvent(timeline, { type: 'delta', messageId: 'm2', offset: 0, text: 'x' });
    // The cap counts the arriving delta too: offsets 0..999 apply; the rest were dropped, to heal with a snapshot.
    expect(timeline.getById('m2')?.content.length).toBe(MAX_WAITING_DELTAS);
    timeline = applyStreamEvent(timeline, {
      type: 'message',
      message: { ...message, content: 'x'.repeat(10_001), status: 'complete' },
    });
    expect(timeline.getById('m2')?.content.length).toBe(10_001);
  });
});
