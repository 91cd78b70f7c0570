/**
 * Unit tests for `Seam`, the per-connection filter between catch-up
 * (database) and live (bus) in createConversationStream. The stream's own
 * tests exercise it end to end; these pin each rule on its own, so a
 * mutation of one comparison fails a test named after it.
 */
import { describe, expect, it } from 'vitest';
import type { Message, StreamEvent } from '../../src/core/schemas';
import { Seam } from '../../src/server/bus/seam';
import { MAX_OPEN_REPLIES } from '../../src/server/bus/streamCursor';

const message = (
  sequence: number | null,
  status: Message['status'],
  content = '',
  id = `m${sequence}`,
): StreamEvent => ({
  type: 'message',
  message: {
    id,
    conversationId: 'c',
    sequence,
    createdAt: '2026-01-01T00:00:00.000Z',
    role: 'assistant',
    content,
    status,
  },
});
const delta = (messageId: string, offset: number, text: string): StreamEvent => ({
  type: 'delta',
  messageId,
  offset,
  text,
});
const status = (messageId: string, end: 'complete' | 'failed', error?: string): StreamEvent => ({
  type: 'status',
  messageId,
  status: end,
  ...(error === undefined ? {} : { error }),
});

describe('Seam watermark: the highest sequence up to which every message seen is final', () => {
  it('is the after sequence until a message is seen', () => {
    expect(new Seam(7).watermark).toBe(7);
  });

  it('follows final messages and stops below the lowest open one', () => {
    const seam = new Seam(0);
    seam.admit(message(1, 'complete', 'a'));
    expect(seam.watermark).toBe(1);
    seam.admit(message(2, 'pending'));
    seam.admit(message(3, 'streaming', 'b'));
    seam.admit(message(4, 'complete', 'c'));
    // 2 and 3 are open: the lowest (2) holds the watermark at 1, whatever is final above it.
    expect(seam.watermark).toBe(1);
    seam.admit(status('m3', 'complete'));
    expect(seam.watermark).toBe(1);
    seam.admit(status('m2', 'complete'));
    expect(seam.watermark).toBe(4);
  });

  it('takes the lowest open sequence whatever order they were seen in', () => {
    const seam = new Seam(0);
    seam.admit(message(5, 'pending'));
    seam.admit(message(3, 'pending'));
    seam.admit(message(4, 'pending'));
    expect(seam.watermark).toBe(2);
  });

  it('never falls below the after sequence (an open message at or below it)', () => {
    const seam = new Seam(5);
    seam.admit(message(3, 'streaming', 'x'));
    expect(seam.watermark).toBe(5);
  });

  it('ignores messages without a sequence', () => {
    const seam = new Seam(2);
    seam.admit(message(null, 'pending', '', 'unsequenced'));
    expect(seam.watermark).toBe(2);
  });

  it('counts a failed message as final, like a complete one', () => {
    const seam = new Seam(0);
    seam.admit(message(1, 'streaming', 'a'));
    seam.admit(message(2, 'complete', 'b'));
    expect(seam.watermark).toBe(0);
    seam.admit(status('m1', 'failed', 'boom'));
    expect(seam.watermark).toBe(2);
  });

  it('starts below the open replies a resumed client holds', () => {
    const seam = new Seam(2, 0, [
      { sequence: 4, status: 'streaming', length: 3 },
      { sequence: 2, status: 'pending', length: 0 }, // at or below afterSequence: ignored
    ]);
    expect(seam.watermark).toBe(3);
    seam.admit(message(4, 'complete', 'abc'));
    expect(seam.watermark).toBe(4);
  });
});

describe('Seam status: forwarded once, and failed is final', () => {
  it('forwards a status once; a replay of it is dropped', () => {
    const seam = new Seam(0);
    seam.admit(message(1, 'streaming', 'a'));
    expect(seam.admit(status('m1', 'complete'))).toEqual(status('m1', 'complete'));
    expect(seam.admit(status('m1', 'complete'))).toBeUndefined();
  });

  it('drops a complete after failed, and a failed after complete', () => {
    const failed = new Seam(0);
    failed.admit(message(1, 'streaming', 'a'));
    expect(failed.admit(status('m1', 'failed', 'boom'))).toBeDefined();
    expect(failed.admit(status('m1', 'complete'))).toBeUndefined();
    expect(failed.admit(message(1, 'complete', 'a'))).toBeUndefined();

    const complete = new Seam(0);
    complete.admit(message(1, 'streaming', 'a'));
    expect(complete.admit(status('m1', 'complete'))).toBeDefined();
    expect(complete.admit(status('m1', 'failed', 'late'))).toBeUndefined();
  });

  it('drops a status for a message sent final in a snapshot', () => {
    const seam = new Seam(0);
    seam.admit(message(1, 'failed', 'a'));
    expect(seam.admit(status('m1', 'failed', 'boom'))).toBeUndefined();
    expect(seam.admit(status('m1', 'complete'))).toBeUndefined();
  });

  it('forwards a status for a message it has not seen, once', () => {
    const seam = new Seam(0);
    expect(seam.admit(status('elsewhere', 'complete'))).toBeDefined();
    expect(seam.admit(status('elsewhere', 'complete'))).toBeUndefined();
  });

  it('sends a shorter but final snapshot as its status only, so no text is taken back', () => {
    const seam = new Seam(0);
    seam.admit(message(1, 'streaming', 'Hello'));
    expect(seam.admit(message(1, 'failed', 'He'))).toEqual(status('m1', 'failed'));
    expect(seam.watermark).toBe(1);
    expect(seam.admit(message(1, 'complete', 'Hello'))).toBeUndefined();
  });

  it('keeps the error of a shorter failed snapshot', () => {
    const seam = new Seam(0);
    seam.admit(message(1, 'streaming', 'Hello'));
    const failed = message(1, 'failed', 'He');
    if (failed.type === 'message') failed.message.error = 'stopped';
    expect(seam.admit(failed)).toEqual(status('m1', 'failed', 'stopped'));
  });

  it('sends nothing for a shorter snapshot that is further along but not final', () => {
    const seam = new Seam(0);
    seam.admit(message(1, 'pending', ''));
    seam.admit(delta('m1', 0, 'Hello'));
    expect(seam.admit(message(1, 'streaming', 'He'))).toBeUndefined();
    expect(seam.openReplies()).toEqual([{ sequence: 1, status: 'streaming', length: 5 }]);
  });
});

describe('Seam messages and deltas: each part of the content once', () => {
  it('drops a snapshot that is neither longer nor further along', () => {
    const seam = new Seam(0);
    expect(seam.admit(message(1, 'streaming', 'ab'))).toBeDefined();
    expect(seam.admit(message(1, 'streaming', 'ab'))).toBeUndefined();
    expect(seam.admit(message(1, 'pending', 'a'))).toBeUndefined();
    expect(seam.admit(message(1, 'streaming', 'abc'))).toBeDefined();
    expect(seam.admit(message(1, 'complete', 'abc'))).toBeDefined();
  });

  it('cuts a delta to the part past what was sent, and drops one with nothing new', () => {
    const seam = new Seam(0);
    seam.admit(message(1, 'streaming', 'Hel'));
    expect(seam.admit(delta('m1', 0, 'He'))).toBeUndefined();
    expect(seam.admit(delta('m1', 1, 'ello'))).toEqual(delta('m1', 3, 'lo'));
    expect(seam.admit(delta('m1', 5, ''))).toBeUndefined();
  });

  it('forwards a delta ahead of the content once per offset, and counts it once the gap fills', () => {
    const seam = new Seam(0);
    seam.admit(message(1, 'streaming', 'a'));
    expect(seam.admit(delta('m1', 3, 'de'))).toEqual(delta('m1', 3, 'de'));
    expect(seam.admit(delta('m1', 3, 'de'))).toBeUndefined();
    expect(seam.admit(delta('m1', 1, 'bc'))).toEqual(delta('m1', 1, 'bc'));
    // 'de' was sent ahead: the content now runs to 5.
    expect(seam.admit(delta('m1', 0, 'abcde'))).toBeUndefined();
    expect(seam.openReplies()).toEqual([{ sequence: 1, status: 'streaming', length: 5 }]);
  });

  it('does not count a delta sent ahead until the content reaches it', () => {
    const seam = new Seam(0);
    seam.admit(message(1, 'streaming', 'a'));
    expect(seam.admit(delta('m1', 5, 'f'))).toBeDefined();
    expect(seam.admit(delta('m1', 1, 'b'))).toEqual(delta('m1', 1, 'b'));
    // 'f' at 5 is still ahead of 'ab': 'cde' is new to the client.
    expect(seam.admit(delta('m1', 2, 'cde'))).toEqual(delta('m1', 2, 'cde'));
    expect(seam.openReplies()).toEqual([{ sequence: 1, status: 'streaming', length: 6 }]);
  });

  it('never moves a message back a stage when a longer snapshot lags in status', () => {
    const seam = new Seam(0);
    seam.admit(message(1, 'streaming', 'ab'));
    seam.admit(status('m1', 'complete'));
    expect(seam.admit(message(1, 'streaming', 'abcd'))).toBeDefined();
    expect(seam.watermark).toBe(1);
    expect(seam.admit(status('m1', 'complete'))).toBeUndefined();
  });

  it('drops every event of a message the client holds final (at or below settled)', () => {
    const seam = new Seam(3, 3);
    expect(seam.admit(message(3, 'complete', 'x'))).toBeUndefined();
    expect(seam.admit(message(2, 'complete', 'x'))).toBeUndefined();
    expect(seam.admit(delta('m2', 1, 'y'))).toBeUndefined();
    expect(seam.admit(status('m2', 'failed'))).toBeUndefined();
    expect(seam.admit(message(4, 'complete', 'y'))).toBeDefined();
  });

  it('does not send back a stored snapshot that lags the reply a resumed client holds', () => {
    const seam = new Seam(1, 0, [{ sequence: 2, status: 'streaming', length: 5 }]);
    expect(seam.admit(message(2, 'streaming', 'Hel'))).toBeUndefined();
    // The held reply, now known by its id, still goes out in the cursor.
    expect(seam.openReplies()).toEqual([{ sequence: 2, status: 'streaming', length: 5 }]);
    expect(seam.admit(delta('m2', 3, 'lo!'))).toEqual(delta('m2', 5, '!'));
    expect(seam.openReplies()).toEqual([{ sequence: 2, status: 'streaming', length: 6 }]);
  });
});

describe('Seam.openReplies: what the cursor carries of open replies', () => {
  it('lists open replies with content or a stage, lowest sequences first, at most the cap', () => {
    const seam = new Seam(0);
    seam.admit(message(1, 'pending', '')); // holds nothing: left out
    for (let sequence = MAX_OPEN_REPLIES + 3; sequence >= 2; sequence--) {
      seam.admit(message(sequence, 'streaming', 'x'));
    }
    const replies = seam.openReplies();
    expect(replies).toHaveLength(MAX_OPEN_REPLIES);
    expect(replies[0]).toEqual({ sequence: 2, status: 'streaming', length: 1 });
    expect(replies.map((reply) => reply.sequence)).toEqual(
      [...replies.map((reply) => reply.sequence)].sort((a, b) => a - b),
    );
  });

  it('says pending for a reply sent pending, streaming once sent streaming', () => {
    const seam = new Seam(0);
    seam.admit(message(1, 'pending', 'a'));
    seam.admit(message(3, 'streaming', ''));
    expect(seam.openReplies()).toEqual([
      { sequence: 1, status: 'pending', length: 1 },
      { sequence: 3, status: 'streaming', length: 0 },
    ]);
  });

  it('drops a reply once it is final', () => {
    const seam = new Seam(0);
    seam.admit(message(1, 'streaming', 'x'));
    seam.admit(status('m1', 'failed'));
    expect(seam.openReplies()).toEqual([]);
  });
});
