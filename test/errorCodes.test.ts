/**
 * Every error class seqline exports has a `code` (issue 16, item 6): each
 * entry point's exported Error subclasses extend CodedSeqlineError. Fails
 * when a new error class is exported without a code, or when the codes of
 * ValidationError, StreamEventError and MessageRouteError go missing.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { CodedSeqlineError, SeqlineError } from '../src/core/errors';
import { parseMessage, parseStreamEvent, StreamEventError, ValidationError } from '../src/index';
import {
  createMemoryMessageStore,
  createMessageRoutes,
  MessageRouteError,
  type MessageRouteErrorCode,
} from '../src/server/index';

/** The source of every public entry, from tsup.config.ts (the CLI has no exports). */
function entries(): string[] {
  const config = readFileSync(new URL('../tsup.config.ts', import.meta.url), 'utf8');
  return [...config.matchAll(/^\s+['"]?(\w+)['"]?: '(src\/[\w/.]+\.ts)',$/gm)]
    .filter(([, name]) => name !== 'cli')
    .map(([, , path]) => path!);
}

describe('error codes', () => {
  it('every exported error class but SeqlineError itself has a code', async () => {
    const paths = entries();
    expect(paths).toContain('src/server/index.ts');
    const uncoded = new Set<string>();
    let classes = 0;
    for (const path of paths) {
      const module = (await import(
        /* @vite-ignore */ new URL(`../${path}`, import.meta.url).href
      )) as Record<string, unknown>;
      for (const [name, value] of Object.entries(module)) {
        if (typeof value !== 'function' || !(value.prototype instanceof Error)) continue;
        classes++;
        if (!(value.prototype instanceof CodedSeqlineError)) uncoded.add(name);
      }
    }
    expect(classes).toBeGreaterThan(5);
    uncoded.delete('SeqlineError');
    expect([...uncoded].sort()).toEqual([]);
  });

  it('ValidationError is INVALID_INPUT, StreamEventError INVALID_STREAM_EVENT, instanceof kept', () => {
    const invalid = catchError(() => parseMessage({ id: 1 }));
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(invalid).not.toBeInstanceOf(StreamEventError);
    expect((invalid as ValidationError).code).toBe('INVALID_INPUT');

    const event = catchError(() => parseStreamEvent({ type: 'delta' }));
    expect(event).toBeInstanceOf(StreamEventError);
    expect(event).toBeInstanceOf(ValidationError);
    expect(event).toBeInstanceOf(SeqlineError);
    expect((event as StreamEventError).code).toBe('INVALID_STREAM_EVENT');
    expect((event as StreamEventError).name).toBe('StreamEventError');
    expect((event as StreamEventError).issues.length).toBeGreaterThan(0);
  });

  it("a MessageRouteError's code is the one its JSON answer carries", async () => {
    const routes = createMessageRoutes({
      store: createMemoryMessageStore(),
      authorize: () => false,
    });
    const refused = await routes
      .sendMessage(new Request('http://x/'), { conversationId: 'c', clientId: 'k', content: 'hi' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MessageRouteError);
    expect(refused).toBeInstanceOf(CodedSeqlineError);
    const response = await routes.send(
      new Request('http://x/conversations/c/messages', { method: 'POST' }),
      'c',
    );
    const body = (await response.json()) as { error: { code: string } };
    expect([response.status, body.error.code]).toEqual([403, (refused as MessageRouteError).code]);
    // Checked by tsc (`npx tsc --noEmit`): the code is the union, not `string`.
    expectTypeOf<MessageRouteError['code']>().toEqualTypeOf<MessageRouteErrorCode>();
    expectTypeOf<'FORBIDDEN'>().toExtend<MessageRouteError['code']>();
    expectTypeOf<string>().not.toExtend<MessageRouteError['code']>();
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
