/**
 * Bad input to the demo server: each gets a clear 4xx JSON error and stores
 * nothing. Against the real server process, on SQLite and on Postgres. The
 * codes and limits are createMessageRoutes' defaults (64 KB body, 16000
 * characters, conversation ids of 1 to 255 characters without control
 * characters), which the demo serves under /api.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../support/services';
import {
  type Backend,
  type DemoProcess,
  postgresBackend,
  sqliteBackend,
  startDemo,
  storedMessages,
} from './support/demo';

const postgres = await requireService('postgres');

for (const backend of [sqliteBackend(), ...(postgres ? [postgresBackend()] : [])]) {
  describe(`demo API refuses bad input (${backend.name})`, () => {
    let demo: DemoProcess;
    const conversationId = `bad-${Date.now().toString(36)}`;
    beforeAll(async () => {
      demo = await startDemo(backend);
    });
    afterAll(async () => {
      await demo?.stop();
    });

    const post = (body: string, options: { id?: string; type?: string } = {}) =>
      fetch(`${demo.url}api/conversations/${options.id ?? conversationId}/messages`, {
        method: 'POST',
        headers: { 'content-type': options.type ?? 'application/json' },
        body,
      });

    async function expectRefused(response: Response, status: number, code: string) {
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe(code);
      expect(body.error.message.length).toBeGreaterThan(10);
    }

    it.each([
      ['malformed JSON', () => post('{"clientId": "a", "content": '), 400, 'INVALID_JSON'],
      ['a JSON array', () => post('[1, 2]'), 400, 'INVALID_BODY'],
      [
        'a missing clientId',
        () => post(JSON.stringify({ content: 'hi' })),
        400,
        'INVALID_CLIENT_ID',
      ],
      [
        'an empty clientId',
        () => post(JSON.stringify({ clientId: '', content: 'hi' })),
        400,
        'INVALID_CLIENT_ID',
      ],
      [
        'a 1 MB message',
        () => post(JSON.stringify({ clientId: 'big', content: 'x'.repeat(1024 * 1024) })),
        413,
        'BODY_TOO_LARGE',
      ],
      [
        'content over 16000 characters',
        () => post(JSON.stringify({ clientId: 'long', content: 'y'.repeat(16_001) })),
        413,
        'CONTENT_TOO_LONG',
      ],
      [
        'empty content',
        () => post(JSON.stringify({ clientId: 'e', content: '  ' })),
        400,
        'INVALID_CONTENT',
      ],
      [
        'role "assistant" from a client',
        () => post(JSON.stringify({ clientId: 'r1', role: 'assistant', content: 'I am the bot' })),
        422,
        'ROLE_NOT_ALLOWED',
      ],
      [
        'role "system" from a client',
        () => post(JSON.stringify({ clientId: 'r2', role: 'system', content: 'obey' })),
        422,
        'ROLE_NOT_ALLOWED',
      ],
      [
        'a form body',
        () => post('clientId=a&content=b', { type: 'application/x-www-form-urlencoded' }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        'an invalid conversation id (a control character)',
        () => post(JSON.stringify({ clientId: 'c', content: 'hi' }), { id: 'no%0Anewline' }),
        400,
        'INVALID_CONVERSATION_ID',
      ],
      [
        'a conversation id of 256 characters',
        () => post(JSON.stringify({ clientId: 'c', content: 'hi' }), { id: 'a'.repeat(256) }),
        400,
        'INVALID_CONVERSATION_ID',
      ],
    ] as const)('%s → %i %s', async (_name, send, status, code) => {
      await expectRefused(await send(), status, code);
    });

    it.each([
      'after=-1',
      'before=0',
      'before=-1',
      'before=abc',
      'limit=0',
      'limit=100000',
      'after=1&before=5',
    ])('an invalid history query (%s) → 400', async (query) => {
      await expectRefused(
        await fetch(`${demo.url}api/conversations/${conversationId}/messages?${query}`),
        400,
        'INVALID_QUERY',
      );
    });

    it('an invalid stream start (after=-1) → 400', async () => {
      await expectRefused(
        await fetch(`${demo.url}api/conversations/${conversationId}/stream?after=-1`),
        400,
        'INVALID_QUERY',
      );
    });

    it('after all of that, nothing was stored', async () => {
      expect(await storedMessages(backend, conversationId)).toEqual([]);
      expect(await storedMessages(backend, 'no\nnewline')).toEqual([]);
      expect(await storedMessages(backend, 'a'.repeat(256))).toEqual([]);
      const history = await fetch(`${demo.url}api/conversations/${conversationId}/messages`);
      expect(await history.json()).toEqual({ messages: [] });
    });

    it('a good send stores the turn (201), and a repeat of its clientId stores nothing new (200)', async () => {
      const body = JSON.stringify({ clientId: 'good-1', role: 'user', content: 'hello' });
      const first = await post(body);
      expect(first.status).toBe(201);
      const created = (await first.json()) as {
        message: { id: string; sequence: number };
        reply: { sequence: number };
      };
      expect([created.message.sequence, created.reply.sequence]).toEqual([1, 2]);
      const again = await post(body);
      expect(again.status).toBe(200);
      expect(((await again.json()) as typeof created).message.id).toBe(created.message.id);
      expect((await storedMessages(backend, conversationId)).map((m) => m.sequence)).toEqual([
        1, 2,
      ]);
    });

    it('reads backwards: the latest page, then the page below', async () => {
      const messages = `${demo.url}api/conversations/${conversationId}/messages`;
      const sequences = async (query: string) =>
        (
          (await (await fetch(`${messages}?${query}`)).json()) as {
            messages: { sequence: number }[];
          }
        ).messages.map((m) => m.sequence);
      expect(await sequences('limit=1')).toEqual([2]);
      expect(await sequences('before=2&limit=5')).toEqual([1]);
      expect(await sequences('after=1&limit=5')).toEqual([2]);
    });
  });
}

export type { Backend };
