import { describe, expect, it } from 'vitest';
import { parseMessage, parseStreamEvent, ValidationError } from '../../src/index';
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
