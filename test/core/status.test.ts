/**
 * The one status order (src/core/status.ts), and that both its users follow
 * it: the timeline (complete outranks failed) and the seam (both final).
 */
import { describe, expect, it } from 'vitest';
import { applyStreamEvent, createTimeline, type MessageStatus, mergeMessages } from '../../src';
import { FINAL_STAGE, isFinal, statusRank, statusStage, supersedes } from '../../src/core/status';

const ORDER: MessageStatus[] = ['pending', 'streaming', 'failed', 'complete'];

describe('the status order', () => {
  it('is pending < streaming < failed < complete', () => {
    expect(ORDER.map(statusRank)).toEqual([0, 1, 2, 3]);
  });

  it('lets a status replace another exactly when it is as far along or further', () => {
    for (const incoming of ORDER) {
      for (const current of ORDER) {
        expect(supersedes(incoming, current), `${incoming} over ${current}`).toBe(
          ORDER.indexOf(incoming) >= ORDER.indexOf(current),
        );
      }
    }
  });

  it('calls failed and complete final, and makes them one stage', () => {
    expect(ORDER.filter(isFinal)).toEqual(['failed', 'complete']);
    expect(ORDER.map(statusStage)).toEqual([0, 1, FINAL_STAGE, FINAL_STAGE]);
  });
});

describe('the timeline follows it', () => {
  const reply = (status: MessageStatus, error?: string) => ({
    id: 'r',
    conversationId: 'c',
    sequence: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    role: 'assistant',
    content: 'hi',
    status,
    ...(error === undefined ? {} : { error }),
  });

  it('ends on complete whichever of failed and complete arrives first', () => {
    const base = mergeMessages(createTimeline('c'), [reply('streaming')]);
    const failed = { type: 'status', messageId: 'r', status: 'failed', error: 'x' } as const;
    const complete = { type: 'status', messageId: 'r', status: 'complete' } as const;
    const a = applyStreamEvent(applyStreamEvent(base, failed), complete);
    const b = applyStreamEvent(applyStreamEvent(base, complete), failed);
    expect(a.get('r')).toMatchObject({ status: 'complete' });
    expect(a.get('r')?.error).toBeUndefined();
    expect(b.get('r')).toEqual(a.get('r'));
  });

  it('never moves a snapshot back (a stale streaming copy after complete)', () => {
    const done = mergeMessages(createTimeline('c'), [reply('complete')]);
    expect(mergeMessages(done, [reply('streaming')])).toBe(done);
    expect(mergeMessages(done, [reply('failed', 'late')])).toBe(done);
  });

  it('takes an equal status again (a newer error on a failed message)', () => {
    const failed = mergeMessages(createTimeline('c'), [reply('failed', 'first')]);
    expect(mergeMessages(failed, [reply('failed', 'second')]).get('r')?.error).toBe('second');
  });
});
