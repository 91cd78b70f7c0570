import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  addOptimistic,
  applyStreamEvent,
  confirmOptimistic,
  createClientId,
  createTimeline,
  discardOptimistic,
  failOptimistic,
  mergeLatestPage,
  mergeMessages,
  type OptimisticDraft,
  StreamEventError,
  type Timeline,
  ValidationError,
} from '../../src/index';
import { serverMessage } from './fixtures';

let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => warn.mockRestore());

const contents = (timeline: Timeline) => timeline.messages.map((m) => m.content);

describe('mergeMessages', () => {
  it('orders a history page by sequence whatever order it arrives in', () => {
    const t = mergeMessages(createTimeline('c1'), [
      serverMessage({ id: 'b', sequence: 2, content: 'two' }),
      serverMessage({ id: 'a', sequence: 1, content: 'one' }),
      serverMessage({ id: 'c', sequence: 3, content: 'three' }),
    ]);
    expect(contents(t)).toEqual(['one', 'two', 'three']);
    expect(t.keys).toEqual(['a', 'b', 'c']);
    expect(t.lastSequence).toBe(3);
  });

  it('returns the same timeline when the page changes nothing, even with fresh object copies', () => {
    const page = () => [
      serverMessage({ id: 'a', sequence: 1, content: 'one', meta: { tags: ['x'] } }),
      serverMessage({ id: 'b', sequence: 2, content: 'two' }),
    ];
    const t = mergeMessages(createTimeline('c1'), page());
    expect(mergeMessages(t, page())).toBe(t);
    expect(mergeMessages(t, [])).toBe(t);
  });

  it('keeps fields it does not know about', () => {
    const t = mergeMessages(createTimeline('c1'), [
      serverMessage({ id: 'a', sequence: 1, attachments: [{ url: 'x.png' }] }),
    ]);
    expect(t.get('a')?.attachments).toEqual([{ url: 'x.png' }]);
  });

  it('never lets a stale snapshot shorten streamed content or move the status back', () => {
    let t = mergeMessages(createTimeline('c1'), [
      serverMessage({ id: 'r', sequence: 1, role: 'assistant', content: '', status: 'pending' }),
    ]);
    t = applyStreamEvent(t, { type: 'delta', messageId: 'r', offset: 0, text: 'Hello world' });
    t = applyStreamEvent(t, { type: 'status', messageId: 'r', status: 'complete' });
    const stale = mergeMessages(t, [
      serverMessage({
        id: 'r',
        sequence: 1,
        role: 'assistant',
        content: 'Hel',
        status: 'streaming',
      }),
    ]);
    expect(stale).toBe(t);
    expect(stale.get('r')).toMatchObject({ content: 'Hello world', status: 'complete' });
  });

  it('rejects a bad page with a typed error naming the field, and changes nothing', () => {
    const t = mergeMessages(createTimeline('c1'), [serverMessage({ id: 'a', sequence: 1 })]);
    const bad = [
      serverMessage({ id: 'b', sequence: 2 }),
      { ...serverMessage({ id: 'c', sequence: 3 }), createdAt: 'yesterday' },
    ];
    let error: unknown;
    try {
      mergeMessages(t, bad);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.path).toEqual([1, 'createdAt']);
    expect((error as ValidationError).message).toMatch(
      /1\.createdAt: must be an ISO 8601 timestamp/,
    );
    expect(t.keys).toEqual(['a']);
  });

  it('rejects a message from another conversation', () => {
    expect(() =>
      mergeMessages(createTimeline('c1'), [
        serverMessage({ id: 'a', sequence: 1, conversationId: 'c2' }),
      ]),
    ).toThrow(/0\.conversationId: is "c2", but this timeline holds conversation "c1"/);
  });

  it('sorts a large page with the same result as sorting by hand', () => {
    const page = Array.from({ length: 500 }, (_, i) =>
      serverMessage({ id: `m${i}`, sequence: 500 - i }),
    );
    const t = mergeMessages(createTimeline('c1'), page);
    expect(t.messages.map((m) => m.sequence)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
  });
});

describe('optimistic sends', () => {
  const history = () =>
    mergeMessages(createTimeline('c1'), [
      serverMessage({ id: 'a', sequence: 1, content: 'hi' }),
      serverMessage({ id: 'b', sequence: 2, role: 'assistant', content: 'hello' }),
    ]);

  it('shows the message at once, after what it was sent after, keyed by clientId', () => {
    const t = addOptimistic(history(), {
      clientId: 'k1',
      content: 'new',
      createdAt: '2030-01-01T00:00:00Z',
    });
    expect(t.keys).toEqual(['a', 'b', 'k1']);
    expect(t.get('k1')).toMatchObject({
      status: 'pending',
      sequence: null,
      content: 'new',
      role: 'user',
    });
  });

  it('keeps the key when confirmed, so the row is not remounted', () => {
    let t = addOptimistic(history(), { clientId: 'k1', content: 'new' });
    const before = t.keys;
    t = confirmOptimistic(
      t,
      'k1',
      serverMessage({ id: 's3', sequence: 3, clientId: 'k1', content: 'new' }),
    );
    expect(t.keys).toEqual(before);
    expect(t.get('k1')).toMatchObject({ id: 's3', sequence: 3, status: 'complete' });
    expect(t.get('k1')?.sendOrder).toBeUndefined();
    expect(t.getById('s3')).toBe(t.get('k1'));
  });

  it('appears once when the stream echo arrives before the POST response', () => {
    let t = addOptimistic(history(), { clientId: 'k1', content: 'new' });
    const stored = serverMessage({ id: 's3', sequence: 3, clientId: 'k1', content: 'new' });
    t = applyStreamEvent(t, { type: 'message', message: stored });
    const echoed = t;
    t = confirmOptimistic(t, 'k1', stored);
    expect(t).toBe(echoed);
    expect(t.keys).toEqual(['a', 'b', 'k1']);
  });

  it('folds an echo that lacked its clientId into the optimistic row on confirmation', () => {
    let t = addOptimistic(history(), { clientId: 'k1', content: 'new' });
    const { clientId: _, ...echo } = serverMessage({ id: 's3', sequence: 3, content: 'new' });
    t = applyStreamEvent(t, { type: 'message', message: echo });
    expect(t.size).toBe(4);
    t = confirmOptimistic(t, 'k1', serverMessage({ id: 's3', sequence: 3, content: 'new' }));
    expect(t.keys).toEqual(['a', 'b', 'k1']);
  });

  // Found in Storybook: a send before the history loaded sorted above the whole history.
  it('keeps a message sent before the history loaded below that history', () => {
    let t = addOptimistic(createTimeline('c1'), { clientId: 'early', content: 'hi' });
    t = addOptimistic(t, { clientId: 'early2', content: 'again' });
    t = mergeMessages(t, [
      serverMessage({ id: 'a', sequence: 1 }),
      serverMessage({ id: 'b', sequence: 2 }),
    ]);
    expect(t.keys).toEqual(['a', 'b', 'early', 'early2']);
    t = confirmOptimistic(
      t,
      'early',
      serverMessage({ id: 's3', sequence: 3, clientId: 'early', content: 'hi' }),
    );
    expect(t.keys).toEqual(['a', 'b', 'early', 'early2']);
  });

  it('orders unconfirmed messages by send order, never by the client clock', () => {
    let t = history();
    t = addOptimistic(t, { clientId: 'first', content: '1', createdAt: '2030-01-01T00:00:00Z' });
    t = addOptimistic(t, { clientId: 'second', content: '2', createdAt: '2020-01-01T00:00:00Z' });
    expect(t.keys).toEqual(['a', 'b', 'first', 'second']);
  });

  // Issue 12: pending rows were anchored at the last sequence known at send(), which is
  // "infinity" until one is known, so a newer pending send could sort above an older one.
  it('keeps pending messages in send order while earlier ones are confirmed (no swap)', () => {
    let t = addOptimistic(createTimeline('c1'), { clientId: 'k1', content: 'one' });
    t = addOptimistic(t, { clientId: 'k2', content: 'two' });
    t = confirmOptimistic(t, 'k1', serverMessage({ id: 's1', sequence: 1, clientId: 'k1' }));
    t = mergeMessages(t, [serverMessage({ id: 'r2', sequence: 2, role: 'assistant' })]);
    t = addOptimistic(t, { clientId: 'k3', content: 'three' });
    expect(t.keys).toEqual(['k1', 'r2', 'k2', 'k3']);
    t = confirmOptimistic(t, 'k2', serverMessage({ id: 's3', sequence: 3, clientId: 'k2' }));
    expect(t.keys).toEqual(['k1', 'r2', 'k2', 'k3']);
  });

  it('sorts a pending message after every sequenced message, even one that arrives later', () => {
    let t = addOptimistic(history(), { clientId: 'k1', content: 'question' });
    // A reply to an earlier prompt (stored before this send) streams in: it goes above.
    t = applyStreamEvent(t, {
      type: 'message',
      message: serverMessage({ id: 'r3', sequence: 3, role: 'assistant', status: 'pending' }),
    });
    expect(t.keys).toEqual(['a', 'b', 'r3', 'k1']);
    t = confirmOptimistic(
      t,
      'k1',
      serverMessage({ id: 's4', sequence: 4, clientId: 'k1', content: 'question' }),
    );
    expect(t.keys).toEqual(['a', 'b', 'r3', 'k1']);
  });

  it('keeps a failed message where it was shown while later messages arrive below it', () => {
    let t = addOptimistic(history(), { clientId: 'k1', content: 'bad' });
    t = addOptimistic(t, { clientId: 'k2', content: 'good' });
    t = failOptimistic(t, 'k1', 'rejected');
    expect(t.keys).toEqual(['a', 'b', 'k1', 'k2']);
    t = confirmOptimistic(t, 'k2', serverMessage({ id: 's3', sequence: 3, clientId: 'k2' }));
    t = mergeMessages(t, [serverMessage({ id: 'r4', sequence: 4, role: 'assistant' })]);
    expect(t.keys).toEqual(['a', 'b', 'k1', 'k2', 'r4']);
    // A retry is a new send: it moves after everything, as any new message would.
    t = addOptimistic(t, { clientId: 'k1', content: 'bad' });
    expect(t.keys).toEqual(['a', 'b', 'k2', 'r4', 'k1']);
  });

  it('marks a failed send, and a retry with the same clientId makes it pending again', () => {
    let t = addOptimistic(history(), { clientId: 'k1', content: 'new' });
    t = failOptimistic(t, 'k1', 'offline');
    expect(t.get('k1')).toMatchObject({ status: 'failed', error: 'offline' });
    expect(failOptimistic(t, 'k1', 'offline')).toBe(t);
    t = addOptimistic(t, { clientId: 'k1', content: 'new' });
    expect(t.get('k1')?.status).toBe('pending');
    expect(t.get('k1')).not.toHaveProperty('error');
    expect(t.size).toBe(3);
  });

  it('does not fail a message the server already confirmed', () => {
    let t = addOptimistic(history(), { clientId: 'k1', content: 'new' });
    t = confirmOptimistic(
      t,
      'k1',
      serverMessage({ id: 's3', sequence: 3, clientId: 'k1', content: 'new' }),
    );
    expect(failOptimistic(t, 'k1', 'timeout')).toBe(t);
  });

  it('is idempotent: adding the same pending clientId twice changes nothing', () => {
    const t = addOptimistic(history(), { clientId: 'k1', content: 'new' });
    expect(addOptimistic(t, { clientId: 'k1', content: 'new' })).toBe(t);
  });

  it('discards an unconfirmed message but never a confirmed one', () => {
    let t = addOptimistic(history(), { clientId: 'k1', content: 'new' });
    expect(discardOptimistic(t, 'k1').keys).toEqual(['a', 'b']);
    t = confirmOptimistic(t, 'k1', serverMessage({ id: 's3', sequence: 3, clientId: 'k1' }));
    expect(discardOptimistic(t, 'k1')).toBe(t);
  });

  it('rejects a confirmation whose clientId belongs to another message', () => {
    const t = addOptimistic(history(), { clientId: 'k1', content: 'new' });
    expect(() =>
      confirmOptimistic(t, 'k1', serverMessage({ id: 's3', sequence: 3, clientId: 'other' })),
    ).toThrow(ValidationError);
  });

  it.each([
    [{ clientId: '', content: 'x' }, /clientId: must not be empty \(see createClientId\(\)\)/],
    [{ content: 'x' }, /clientId: must be a string \(see createClientId\(\)\)/],
    [{ clientId: 'k', content: 1 }, /content: must be a string/],
    [{ clientId: 'k', content: 'x', role: 'bot' }, /role: must be one of user, assistant/],
    [{ clientId: 'k', content: 'x', createdAt: 'yesterday' }, /createdAt: must be an ISO 8601/],
    [null, /\(root\): must be an object \(the message being sent\)/],
  ])('rejects the draft %j with a ValidationError and changes nothing', (draft, pattern) => {
    const t = history();
    const add = () => addOptimistic(t, draft as unknown as OptimisticDraft);
    expect(add).toThrow(ValidationError);
    expect(add).toThrow(pattern);
    expect(t.size).toBe(history().size);
  });

  it('warns when a confirmation names an unknown clientId', () => {
    confirmOptimistic(history(), 'ghost', serverMessage({ id: 's3', sequence: 3 }));
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /\[seqline\] confirmOptimistic: no optimistic message with clientId "ghost"/,
      ),
    );
  });

  it('creates unique client ids', () => {
    expect(createClientId()).not.toBe(createClientId());
  });
});

describe('applyStreamEvent', () => {
  const withReply = () =>
    mergeMessages(createTimeline('c1'), [
      serverMessage({ id: 'r', sequence: 1, role: 'assistant', content: '', status: 'pending' }),
    ]);

  it('appends deltas, skipping text it already has', () => {
    let t = withReply();
    t = applyStreamEvent(t, { type: 'delta', messageId: 'r', offset: 0, text: 'Hello' });
    const once = t;
    expect(applyStreamEvent(t, { type: 'delta', messageId: 'r', offset: 0, text: 'Hello' })).toBe(
      once,
    );
    t = applyStreamEvent(t, { type: 'delta', messageId: 'r', offset: 3, text: 'lo, world' });
    expect(t.get('r')).toMatchObject({ content: 'Hello, world', status: 'streaming' });
  });

  it('holds a delta that is ahead of the content until the gap is filled', () => {
    let t = withReply();
    t = applyStreamEvent(t, { type: 'delta', messageId: 'r', offset: 5, text: ' world' });
    expect(t.get('r')?.content).toBe('');
    t = applyStreamEvent(t, { type: 'delta', messageId: 'r', offset: 0, text: 'Hello' });
    expect(t.get('r')?.content).toBe('Hello world');
  });

  it('holds events for a message it has not seen yet', () => {
    let t = createTimeline('c1');
    t = applyStreamEvent(t, { type: 'delta', messageId: 'r', offset: 0, text: 'Hi' });
    t = applyStreamEvent(t, { type: 'status', messageId: 'r', status: 'complete' });
    expect(t.size).toBe(0);
    t = applyStreamEvent(t, {
      type: 'message',
      message: serverMessage({
        id: 'r',
        sequence: 1,
        role: 'assistant',
        content: '',
        status: 'pending',
      }),
    });
    expect(t.get('r')).toMatchObject({ content: 'Hi', status: 'complete' });
  });

  it('does not let a delta re-order the list: keys keep their reference', () => {
    const t = withReply();
    const next = applyStreamEvent(t, { type: 'delta', messageId: 'r', offset: 0, text: 'Hi' });
    expect(next).not.toBe(t);
    expect(next.keys).toBe(t.keys);
  });

  it('records a failure with its error', () => {
    const t = applyStreamEvent(withReply(), {
      type: 'status',
      messageId: 'r',
      status: 'failed',
      error: 'model overloaded',
    });
    expect(t.get('r')).toMatchObject({ status: 'failed', error: 'model overloaded' });
  });

  it.each([
    [{ type: 'delta', messageId: 'r', offset: -1, text: 'x' }, /offset: must be 0 or more/],
    [{ type: 'delta', messageId: 'r', offset: 0 }, /text: must be a string/],
    [
      { type: 'nonsense' },
      /type: must be an event object with type "message", "delta" or "status"/,
    ],
    [{ type: 'status', messageId: 'r', status: 'done' }, /status: must be complete or failed/],
    ['not an object', /\(root\): must be an event object/],
    [{ type: 'message', message: null }, /message: must be an object \(a message\)/],
    [
      { type: 'message', message: { ...serverMessage({ id: 'x', sequence: 2 }), role: 'bot' } },
      /message\.role: must be one of user, assistant, system, tool/,
    ],
    [
      { type: 'message', message: { ...serverMessage({ id: 'x', sequence: 2 }), status: 'done' } },
      /message\.status: must be one of pending, streaming, complete, failed/,
    ],
    [
      { type: 'message', message: { ...serverMessage({ id: 'x', sequence: 2 }), error: 3 } },
      /message\.error: must be a string/,
    ],
  ])('rejects %j with a StreamEventError and changes nothing', (event, pattern) => {
    const t = withReply();
    expect(() => applyStreamEvent(t, event)).toThrow(StreamEventError);
    expect(() => applyStreamEvent(t, event)).toThrow(pattern);
    expect(t.get('r')?.content).toBe('');
  });

  it('rejects a message event from another conversation', () => {
    expect(() =>
      applyStreamEvent(withReply(), {
        type: 'message',
        message: serverMessage({ id: 'x', sequence: 2, conversationId: 'c9' }),
      }),
    ).toThrow(StreamEventError);
  });
});

describe('gaps', () => {
  it('reports missing sequence ranges and closes them as they are filled', () => {
    let t = mergeMessages(createTimeline('c1'), [
      serverMessage({ id: 'a', sequence: 1 }),
      serverMessage({ id: 'e', sequence: 5 }),
      serverMessage({ id: 'h', sequence: 8 }),
    ]);
    expect(t.gaps).toEqual([
      { from: 2, to: 4 },
      { from: 6, to: 7 },
    ]);
    t = mergeMessages(t, [serverMessage({ id: 'c', sequence: 3 })]);
    expect(t.gaps).toEqual([
      { from: 2, to: 2 },
      { from: 4, to: 4 },
      { from: 6, to: 7 },
    ]);
    t = mergeMessages(
      t,
      ['b', 'd', 'f', 'g'].map((id, i) => serverMessage({ id, sequence: [2, 4, 6, 7][i]! })),
    );
    expect(t.gaps).toEqual([]);
  });

  it('ignores sequences before the start of a timeline loaded from the middle', () => {
    const t = mergeMessages(createTimeline('c1', { after: 100 }), [
      serverMessage({ id: 'x', sequence: 101 }),
      serverMessage({ id: 'y', sequence: 103 }),
    ]);
    expect(t.gaps).toEqual([{ from: 102, to: 102 }]);
  });

  it('mergeLatestPage starts a fresh timeline below the page, so older history is not a gap', () => {
    const page = [401, 402, 404].map((sequence) => serverMessage({ id: `m${sequence}`, sequence }));
    const t = mergeLatestPage(createTimeline('c1'), page);
    expect(t.start).toBe(400);
    expect(t.lastSequence).toBe(404);
    // The hole inside the page is still a gap; everything below it is not.
    expect(t.gaps).toEqual([{ from: 403, to: 403 }]);
    // An older page merges below the start without reporting gaps; a newer page merges as usual.
    const older = mergeMessages(t, [serverMessage({ id: 'm399', sequence: 399 })]);
    expect(older.gaps).toEqual([{ from: 403, to: 403 }]);
    expect(older.messages.map((m) => m.sequence)).toEqual([399, 401, 402, 404]);
    const newer = mergeLatestPage(older, [serverMessage({ id: 'm407', sequence: 407 })]);
    expect(newer.start).toBe(400);
    expect(newer.gaps).toEqual([
      { from: 403, to: 403 },
      { from: 405, to: 406 },
    ]);
  });

  it('mergeLatestPage keeps the start of a timeline that has seen server messages', () => {
    const seen = mergeMessages(createTimeline('c1'), [serverMessage({ id: 'a', sequence: 1 })]);
    const t = mergeLatestPage(seen, [serverMessage({ id: 'e', sequence: 5 })]);
    expect(t.start).toBe(0);
    expect(t.gaps).toEqual([{ from: 2, to: 4 }]);
    // Nothing to merge, nothing changes.
    expect(mergeLatestPage(t, [])).toBe(t);
    const empty = createTimeline('c1');
    expect(mergeLatestPage(empty, [])).toBe(empty);
  });

  it('mergeLatestPage validates like mergeMessages and then changes nothing', () => {
    const t = createTimeline('c1');
    expect(() => mergeLatestPage(t, [{ id: 'x', sequence: 'nope' }])).toThrow(ValidationError);
    expect(t.start).toBe(0);
  });

  it('warns about two messages sharing a sequence', () => {
    mergeMessages(createTimeline('c1'), [
      serverMessage({ id: 'a', sequence: 1 }),
      serverMessage({ id: 'b', sequence: 1 }),
    ]);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/share sequence 1/));
  });
});

describe('immutability', () => {
  it('leaves earlier timelines untouched', () => {
    const t1 = mergeMessages(createTimeline('c1'), [
      serverMessage({ id: 'r', sequence: 1, role: 'assistant', content: '', status: 'pending' }),
    ]);
    const snapshot = JSON.stringify(t1.messages);
    const t2 = applyStreamEvent(t1, { type: 'delta', messageId: 'r', offset: 0, text: 'Hi' });
    addOptimistic(t2, { clientId: 'k', content: 'x' });
    expect(JSON.stringify(t1.messages)).toBe(snapshot);
    expect(t1.get('r')?.content).toBe('');
  });

  it('rejects something that is not a timeline', () => {
    expect(() => mergeMessages({} as Timeline, [])).toThrow(/create one with createTimeline/);
  });
});
