/**
 * The five timeline properties README lists, each checked with fast-check
 * against a model server: convergence, no regression, stable identity, no
 * duplicates, gaps visible.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  addOptimistic,
  applyStreamEvent,
  compareMessages,
  confirmOptimistic,
  createTimeline,
  discardOptimistic,
  type Message,
  mergeMessages,
  type StreamEvent,
  type Timeline,
} from '../../src/index';

beforeAll(() => {
  // Confirmations that overtake their optimistic send warn by design; keep the output readable.
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterAll(() => vi.restoreAllMocks());

// -- the model server ---------------------------------------------------------

interface Turn {
  prompt: string;
  chunks: string[];
  outcome: 'complete' | 'failed';
  /** Milliseconds since the previous turn; 0 makes same-millisecond ties. */
  pause: number;
}

/** What the client may do or receive, in any order. */
type Action =
  | { kind: 'send'; turn: number }
  | { kind: 'confirm'; turn: number }
  | { kind: 'event'; event: StreamEvent }
  | { kind: 'snapshot'; at: number };

interface Conversation {
  /** Every stream event the server emits, in server order. */
  log: StreamEvent[];
  /** The server's stored messages after each prefix of the log (index k: after k events). */
  states: Message[][];
  /** The user message each turn's POST returns. */
  stored: Message[];
  prompts: string[];
}

const CONVERSATION = 'conv';
/** `SEQLINE_FC_SCALE=20 npx vitest run test/core` explores 20x more cases. */
const SCALE = Number(process.env.SEQLINE_FC_SCALE ?? '1');
const runs = (n: number) => ({ numRuns: Math.ceil(n * SCALE) });
const clientIdOf = (turn: number) => `client-${turn}`;

function simulate(turns: Turn[]): Conversation {
  const log: StreamEvent[] = [];
  const stored: Message[] = [];
  let clock = Date.parse('2026-01-01T00:00:00Z');
  let sequence = 0;
  turns.forEach((turn, index) => {
    clock += turn.pause;
    const createdAt = new Date(clock).toISOString();
    const user: Message = {
      id: `u${index}`,
      clientId: clientIdOf(index),
      conversationId: CONVERSATION,
      sequence: ++sequence,
      createdAt,
      role: 'user',
      content: turn.prompt,
      status: 'complete',
    };
    // Reply created in the same millisecond, like a racing SSE handler would.
    const reply: Message = {
      id: `a${index}`,
      conversationId: CONVERSATION,
      sequence: ++sequence,
      createdAt,
      role: 'assistant',
      content: '',
      status: 'pending',
    };
    stored.push(user);
    log.push({ type: 'message', message: user }, { type: 'message', message: reply });
    let offset = 0;
    for (const text of turn.chunks) {
      log.push({ type: 'delta', messageId: reply.id, offset, text });
      offset += text.length;
    }
    log.push(
      turn.outcome === 'failed'
        ? { type: 'status', messageId: reply.id, status: 'failed', error: 'model error' }
        : { type: 'status', messageId: reply.id, status: 'complete' },
    );
  });
  return { log, states: replay(log), stored, prompts: turns.map((t) => t.prompt) };
}

/** The server's table after each prefix of its own log. */
function replay(log: StreamEvent[]): Message[][] {
  const rows = new Map<string, Message>();
  const states: Message[][] = [[]];
  for (const event of log) {
    if (event.type === 'message') rows.set(event.message.id, event.message);
    else {
      const row = rows.get(event.messageId)!;
      rows.set(
        row.id,
        event.type === 'delta'
          ? { ...row, content: row.content + event.text, status: 'streaming' }
          : { ...row, status: event.status, ...(event.error ? { error: event.error } : {}) },
      );
    }
    states.push([...rows.values()]);
  }
  return states;
}

function apply(timeline: Timeline, action: Action, conversation: Conversation): Timeline {
  switch (action.kind) {
    case 'send':
      return addOptimistic(timeline, {
        clientId: clientIdOf(action.turn),
        content: conversation.prompts[action.turn]!,
        // The client clock runs three hours ahead: it must not matter.
        createdAt: new Date(Date.parse('2026-01-01T03:00:00Z') + action.turn).toISOString(),
      });
    case 'confirm':
      return confirmOptimistic(timeline, clientIdOf(action.turn), conversation.stored[action.turn]);
    case 'event':
      return applyStreamEvent(timeline, action.event);
    case 'snapshot':
      return mergeMessages(timeline, conversation.states[action.at]!);
  }
}

/** The fields a user sees, for comparing with the server's truth. */
const visible = (m: Message) => ({
  id: m.id,
  sequence: m.sequence,
  content: m.content,
  status: m.status,
  role: m.role,
  createdAt: m.createdAt,
  ...(m.error ? { error: m.error } : {}),
});

const STATUS_RANK = { pending: 0, streaming: 1, failed: 2, complete: 3 } as const;

// -- arbitraries --------------------------------------------------------------

const text = fc.string({
  unit: fc.constantFrom('a', 'b', ' ', 'é', '😀'),
  minLength: 0,
  maxLength: 6,
});
const turnArb: fc.Arbitrary<Turn> = fc.record({
  prompt: text,
  chunks: fc.array(
    text.filter((t) => t.length > 0),
    { minLength: 0, maxLength: 4 },
  ),
  outcome: fc.constantFrom('complete', 'failed'),
  pause: fc.constantFrom(0, 0, 1, 5),
});

/**
 * A conversation plus one client's view of it: every action at least once
 * (stream events up to three times), in any order, with stale snapshots and a
 * reconnect that replays the log from a cursor, in order.
 */
const scenarioArb = fc.array(turnArb, { minLength: 1, maxLength: 5 }).chain((turns) => {
  const conversation = simulate(turns);
  const n = conversation.log.length;
  const actions: Action[] = [
    ...turns.flatMap((_, turn): Action[] => [
      { kind: 'send', turn },
      { kind: 'confirm', turn },
    ]),
    ...conversation.log.map((event): Action => ({ kind: 'event', event })),
  ];
  return fc
    .record({
      copies: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n }),
      snapshots: fc.array(fc.integer({ min: 0, max: n }), { maxLength: 4 }),
      replayFrom: fc.option(fc.integer({ min: 0, max: n - 1 }), { nil: undefined }),
      order: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), {
        minLength: actions.length + 3 * n + 4,
        maxLength: actions.length + 3 * n + 4,
      }),
    })
    .map(({ copies, snapshots, replayFrom, order }) => {
      const all: Action[] = [
        ...actions,
        ...conversation.log.flatMap((event, i) =>
          Array.from({ length: copies[i]! }, (): Action => ({ kind: 'event', event })),
        ),
        ...snapshots.map((at): Action => ({ kind: 'snapshot', at })),
      ];
      const shuffled = all
        .map((action, i) => ({ action, rank: order[i]! }))
        .sort((a, b) => a.rank - b.rank)
        .map(({ action }) => action);
      const replayed =
        replayFrom === undefined
          ? []
          : conversation.log.slice(replayFrom).map((event): Action => ({ kind: 'event', event }));
      return { conversation, actions: [...shuffled, ...replayed] };
    });
});

// -- properties ---------------------------------------------------------------

describe('timeline properties', { timeout: 30_000 * SCALE }, () => {
  it('convergence: any interleaving, duplication, delay or replay ends at the server truth', () => {
    fc.assert(
      fc.property(scenarioArb, ({ conversation, actions }) => {
        let timeline = createTimeline(CONVERSATION);
        for (const action of actions) timeline = apply(timeline, action, conversation);
        const truth = conversation.states.at(-1)!;
        expect(timeline.messages.map(visible)).toEqual(
          [...truth].sort((a, b) => a.sequence! - b.sequence!).map(visible),
        );
        expect(timeline.gaps).toEqual([]);
      }),
      runs(300),
    );
  });

  it('no regression: no step shortens content, moves a status back or removes a message', () => {
    fc.assert(
      fc.property(scenarioArb, ({ conversation, actions }) => {
        let timeline = createTimeline(CONVERSATION);
        for (const action of actions) {
          const before = timeline;
          timeline = apply(timeline, action, conversation);
          for (const key of before.keys) {
            const was = before.get(key)!;
            const now = timeline.get(key);
            expect(now, `message ${key} disappeared`).toBeDefined();
            expect(now!.content.length).toBeGreaterThanOrEqual(was.content.length);
            expect(now!.content.startsWith(was.content)).toBe(true);
            expect(STATUS_RANK[now!.status]).toBeGreaterThanOrEqual(STATUS_RANK[was.status]);
            if (was.sequence !== null) expect(now!.sequence).toBe(was.sequence);
          }
        }
      }),
      runs(200),
    );
  });

  it('stable identity: a sent message keeps its key from optimistic to confirmed', () => {
    fc.assert(
      fc.property(scenarioArb, ({ conversation, actions }) => {
        let timeline = createTimeline(CONVERSATION);
        for (const action of actions) {
          timeline = apply(timeline, action, conversation);
          for (const message of timeline.messages) {
            if (message.role === 'user') expect(message.clientId).toBeDefined();
            const key = message.clientId ?? message.id;
            expect(timeline.get(key)).toBe(message);
          }
        }
        conversation.stored.forEach((user, turn) => {
          expect(timeline.get(clientIdOf(turn))?.id).toBe(user.id);
          expect(timeline.keys).not.toContain(user.id);
        });
      }),
      runs(200),
    );
  });

  it('no duplicates: a message confirmed by POST and echoed by the stream appears once', () => {
    fc.assert(
      fc.property(scenarioArb, ({ conversation, actions }) => {
        let timeline = createTimeline(CONVERSATION);
        for (const action of actions) {
          timeline = apply(timeline, action, conversation);
          const ids = timeline.messages.map((m) => m.id);
          expect(new Set(timeline.keys).size).toBe(timeline.keys.length);
          expect(new Set(ids).size).toBe(ids.length);
          // An optimistic copy and its server echo would have different ids but one clientId.
          const clientIds = timeline.messages.flatMap((m) => (m.clientId ? [m.clientId] : []));
          expect(new Set(clientIds).size).toBe(clientIds.length);
          const sequences = timeline.messages.flatMap((m) =>
            m.sequence === null ? [] : [m.sequence],
          );
          expect(new Set(sequences).size).toBe(sequences.length);
        }
      }),
      runs(200),
    );
  });

  it('gaps visible: the gaps are exactly the missing sequences up to the highest seen', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 5 }),
        (sequences, pages) => {
          let timeline = createTimeline(CONVERSATION);
          const size = Math.ceil(sequences.length / pages) || 1;
          for (let i = 0; i < sequences.length; i += size) {
            timeline = mergeMessages(
              timeline,
              sequences.slice(i, i + size).map((sequence) => ({
                id: `m${sequence}`,
                conversationId: CONVERSATION,
                sequence,
                createdAt: '2026-01-01T00:00:00Z',
                role: 'user',
                content: '',
                status: 'complete',
              })),
            );
          }
          const present = new Set(sequences);
          const max = Math.max(0, ...sequences);
          const missing = Array.from({ length: max }, (_, i) => i + 1).filter(
            (s) => !present.has(s),
          );
          const reported = timeline.gaps.flatMap(({ from, to }) =>
            Array.from({ length: to - from + 1 }, (_, i) => from + i),
          );
          expect(reported).toEqual(missing);
          // Ranges are maximal: no two reported ranges touch.
          timeline.gaps.forEach((gap, i) => {
            if (i > 0) expect(gap.from).toBeGreaterThan(timeline.gaps[i - 1]!.to + 1);
          });
          expect(timeline.messages.map((m) => m.sequence)).toEqual(
            [...sequences].sort((a, b) => a - b),
          );
        },
      ),
      runs(500),
    );
  });

  it('same reference: applying any action a second time changes nothing', () => {
    fc.assert(
      fc.property(scenarioArb, ({ conversation, actions }) => {
        let timeline = createTimeline(CONVERSATION);
        for (const action of actions) {
          timeline = apply(timeline, action, conversation);
          // `send` is the exception: a repeat of a failed send is a retry.
          if (
            action.kind !== 'send' ||
            timeline.get(clientIdOf(action.turn))?.status !== 'failed'
          ) {
            expect(apply(timeline, action, conversation)).toBe(timeline);
          }
        }
      }),
      runs(200),
    );
  });

  it('immutability: later operations never change an earlier timeline', () => {
    fc.assert(
      fc.property(scenarioArb, ({ conversation, actions }) => {
        let timeline = createTimeline(CONVERSATION);
        const seen: Array<{ timeline: Timeline; json: string }> = [];
        for (const action of actions) {
          timeline = apply(timeline, action, conversation);
          seen.push({ timeline, json: JSON.stringify(timeline.messages) });
        }
        for (const { timeline: earlier, json } of seen) {
          expect(JSON.stringify(earlier.keys.map((key) => earlier.get(key)))).toBe(json);
        }
      }),
      runs(100),
    );
  });
});

describe('order across many chunks', () => {
  it('one-at-a-time inserts and removals on a large timeline keep the exact sorted order', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('server' as const),
        sequence: fc.integer({ min: 1, max: 5000 }),
      }),
      fc.record({ kind: fc.constant('send' as const), id: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ kind: fc.constant('discard' as const), id: fc.integer({ min: 0, max: 50 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 200 }), (ops) => {
        const initial = Array.from({ length: 1500 }, (_, i) => ({
          id: `m${i * 3 + 1}`,
          conversationId: CONVERSATION,
          sequence: i * 3 + 1,
          createdAt: '2026-01-01T00:00:00Z',
          role: 'user' as const,
          content: '',
          status: 'complete' as const,
        }));
        let timeline = mergeMessages(createTimeline(CONVERSATION), initial);
        const model = new Set(initial.map((m) => m.id));
        for (const step of ops) {
          if (step.kind === 'server') model.add(`m${step.sequence}`);
          else if (step.kind === 'send') model.add(`k${step.id}`);
          else model.delete(`k${step.id}`);
          if (step.kind === 'server') {
            timeline = mergeMessages(timeline, [
              { ...initial[0]!, id: `m${step.sequence}`, sequence: step.sequence },
            ]);
          } else if (step.kind === 'send') {
            timeline = addOptimistic(timeline, { clientId: `k${step.id}`, content: '' });
          } else {
            timeline = discardOptimistic(timeline, `k${step.id}`);
          }
          expect(timeline.size).toBe(timeline.keys.length);
        }
        const expected = [...timeline.messages]
          .sort(compareMessages)
          .map((m) => m.clientId ?? m.id);
        expect(timeline.keys).toEqual(expected);
        expect(new Set(timeline.keys)).toEqual(model);
      }),
      runs(40),
    );
  });
});
