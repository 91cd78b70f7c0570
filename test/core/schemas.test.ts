import { describe, expect, it } from 'vitest';
import {
  createTimeline,
  mergeMessages,
  parseMessage,
  parseStreamEvent,
  ValidationError,
} from '../../src/index';
import { serverMessage } from './fixtures';

/** Every wrong value a field can plausibly get: wrong type, empty, out of range. */
const WRONG = [undefined, null, '', 'x', -1, 0, 1.5, Number.NaN, true, {}, []];

function issuesOf(
  parse: () => unknown,
): readonly { path: readonly PropertyKey[]; message: string }[] {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  return [];
}

describe('schema errors say what is expected', () => {
  // zod/mini ships no locale: a check without its own message reports a bare "Invalid input".
  it('for every field of a message, whatever wrong value it gets', () => {
    const valid = serverMessage({ id: 'm', sequence: 1 });
    let rejected = 0;
    for (const field of Object.keys(valid)) {
      for (const value of WRONG) {
        for (const issue of issuesOf(() => parseMessage({ ...valid, [field]: value }))) {
          rejected++;
          expect(issue.message, `${field} = ${JSON.stringify(value)}`).not.toMatch(/^Invalid/);
          expect(issue.message).toMatch(/^must /);
        }
      }
    }
    expect(rejected).toBeGreaterThan(40); // the loop really produced errors to check
  });

  it('for every field of every stream event', () => {
    const events = [
      { type: 'message', message: serverMessage({ id: 'm', sequence: 1 }) },
      { type: 'delta', messageId: 'm', offset: 0, text: 'Hi' },
      { type: 'status', messageId: 'm', status: 'failed', error: 'boom' },
    ];
    let rejected = 0;
    for (const event of [
      ...WRONG,
      ...events.flatMap((e) =>
        Object.keys(e).flatMap((field) => WRONG.map((value) => ({ ...e, [field]: value }))),
      ),
    ]) {
      for (const issue of issuesOf(() => parseStreamEvent(event))) {
        rejected++;
        expect(issue.message, JSON.stringify(event)).toMatch(/^must /);
      }
    }
    expect(rejected).toBeGreaterThan(40);
  });
});

// Issue 15: Drizzle/SQL history rows carry clientId: null (replies) and error: null; the
// client rejected them and TanStack Query retried in silence.
describe('SQL NULLs', () => {
  it('reads clientId: null and error: null as absent, in parseMessage and in the timeline', () => {
    const row = {
      id: 'r2',
      conversationId: 'c1',
      sequence: 2,
      createdAt: '2026-01-01T00:00:00.000Z',
      clientId: null,
      role: 'assistant',
      content: 'hi',
      status: 'complete',
      error: null,
    };
    const parsed = parseMessage(row);
    expect(parsed.clientId).toBeUndefined();
    expect(parsed.error).toBeUndefined();
    const timeline = mergeMessages(createTimeline('c1'), [row]);
    expect(timeline.get('r2')).not.toHaveProperty('clientId');
    expect(timeline.get('r2')).not.toHaveProperty('error');
    expect(() => parseMessage({ ...row, clientId: '' })).toThrow(/clientId/);
  });
});
