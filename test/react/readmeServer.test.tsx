/**
 * The server README shows (examples/server/server.ts: node:http, Postgres,
 * `createMessageRoutes` with a per-user `authorize`), driven by the real
 * seqline/react hooks: send, stream, reload, two clients; and hostile
 * requests, which get 4xx JSON and store or leak nothing.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { act, waitFor } from '@testing-library/react';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, requireService } from '../support/services';
import { newQueryClient, renderChat } from './harness';

const online = await requireService('postgres');
const SERVER = join(process.cwd(), 'examples/server/server.ts');
const run = Date.now().toString(36);
const ALICE = { authorization: 'Bearer token-alice' };
const BOB = { authorization: 'Bearer token-bob' };

describe.runIf(online)('the README server (examples/server/server.ts) on Postgres', () => {
  let base = '';
  let close: () => Promise<void>;
  let pool: pg.Pool;
  const stored = async (conversationId: string) =>
    (
      await pool.query(
        'SELECT role, content, status, sequence FROM seqline_messages WHERE conversation_id = $1 ORDER BY sequence',
        [conversationId],
      )
    ).rows;

  beforeAll(async () => {
    process.env.DATABASE_URL = POSTGRES_URL;
    process.env.PORT = '0';
    process.env.API_TOKENS = JSON.stringify({ 'token-alice': 'alice', 'token-bob': 'bob' });
    // A computed path: the root tsconfig does not follow it (examples/server has its own, on dist).
    const { server } = (await import(/* @vite-ignore */ SERVER)) as { server: Server };
    if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
    pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
  });
  afterAll(async () => {
    await close?.();
    await pool?.end();
  });

  it('is the file README shows, and at most 15 lines of code besides imports and comments', () => {
    const file = readFileSync(SERVER, 'utf8');
    const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');
    expect(readme).toContain(file.trim());
    const code = file
      .split('\n')
      .filter(
        (line) =>
          line.trim() !== '' && !line.startsWith('import ') && !line.trimStart().startsWith('//'),
      );
    expect(code.length).toBeLessThanOrEqual(15);
  });

  it('sends, streams the reply, survives a reload, and a second client sees the same', async () => {
    const conversationId = `alice-${run}`;
    const chat = renderChat(conversationId, { baseUrl: base, headers: ALICE });
    act(() => {
      chat.send('hello there');
      chat.send('second message');
    });
    const expected = [
      'hello there',
      'You said: hello there ',
      'second message',
      'You said: second message ',
    ];
    await waitFor(() => expect(chat.texts()).toEqual(expected), { timeout: 15_000 });
    await waitFor(async () =>
      expect(await stored(conversationId)).toEqual(
        expected.map((content, i) => ({
          role: i % 2 === 0 ? 'user' : 'assistant',
          content,
          status: 'complete',
          sequence: String(i + 1),
        })),
      ),
    );
    const ids = chat.ids();
    chat.unmount();

    const reloaded = renderChat(conversationId, {
      baseUrl: base,
      headers: ALICE,
      queryClient: newQueryClient(),
    });
    const other = renderChat(conversationId, {
      baseUrl: base,
      headers: ALICE,
      queryClient: newQueryClient(),
    });
    await waitFor(() => {
      expect(reloaded.ids()).toEqual(ids);
      expect(other.ids()).toEqual(ids);
    });
    act(() => {
      other.send('from the other tab');
    });
    await waitFor(
      () =>
        expect(reloaded.texts().slice(4)).toEqual([
          'from the other tab',
          'You said: from the other tab ',
        ]),
      {
        timeout: 15_000,
      },
    );
    reloaded.unmount();
    other.unmount();
  });

  it('answers hostile requests with 4xx JSON and stores or leaks nothing', async () => {
    const conversationId = `alice-hostile-${run}`;
    const url = `${base}/conversations/${conversationId}`;
    const post = (body: BodyInit, headers: Record<string, string> = ALICE) =>
      fetch(`${url}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    const ok = await post(JSON.stringify({ clientId: 'k1', content: 'private' }));
    expect(ok.status).toBe(201);

    const cases: [string, Promise<Response>, number, string?][] = [
      ['no credentials: history', fetch(`${url}/messages`), 401],
      ['no credentials: send', post(JSON.stringify({ clientId: 'k2', content: 'x' }), {}), 401],
      ['no credentials: stream', fetch(`${url}/stream`), 401],
      ['wrong token', fetch(`${url}/messages`, { headers: { authorization: 'Bearer nope' } }), 401],
      [
        "another user's conversation: history",
        fetch(`${url}/messages`, { headers: BOB }),
        403,
        'FORBIDDEN',
      ],
      [
        "another user's conversation: send",
        post(JSON.stringify({ clientId: 'k3', content: 'x' }), BOB),
        403,
        'FORBIDDEN',
      ],
      [
        "another user's conversation: stream",
        fetch(`${url}/stream`, { headers: BOB }),
        403,
        'FORBIDDEN',
      ],
      ['malformed JSON', post('{"clientId":'), 400, 'INVALID_JSON'],
      [
        'a 5 MB body',
        post(JSON.stringify({ clientId: 'k4', content: 'x'.repeat(5_000_000) })),
        413,
        'BODY_TOO_LARGE',
      ],
      ['no clientId', post(JSON.stringify({ content: 'x' })), 400, 'INVALID_CLIENT_ID'],
      [
        'empty content',
        post(JSON.stringify({ clientId: 'k5', content: '  ' })),
        400,
        'INVALID_CONTENT',
      ],
      [
        'assistant role',
        post(JSON.stringify({ clientId: 'k6', role: 'assistant', content: 'x' })),
        422,
        'ROLE_NOT_ALLOWED',
      ],
      [
        'clientId reused',
        post(JSON.stringify({ clientId: 'k1', content: 'other' })),
        409,
        'CLIENT_ID_CONFLICT',
      ],
      [
        'not JSON',
        post('hi', { ...ALICE, 'content-type': 'text/plain' }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        'bad id escape',
        fetch(`${base}/conversations/%E0%A4%A/messages`, { headers: ALICE }),
        400,
        'INVALID_CONVERSATION_ID',
      ],
      [
        'control character id',
        fetch(`${base}/conversations/alice-%01/messages`, { headers: ALICE }),
        400,
        'INVALID_CONVERSATION_ID',
      ],
      ['before=0', fetch(`${url}/messages?before=0`, { headers: ALICE }), 400, 'INVALID_QUERY'],
      ['before=-1', fetch(`${url}/messages?before=-1`, { headers: ALICE }), 400, 'INVALID_QUERY'],
      ['before=abc', fetch(`${url}/messages?before=abc`, { headers: ALICE }), 400, 'INVALID_QUERY'],
      ['limit=0', fetch(`${url}/messages?limit=0`, { headers: ALICE }), 400, 'INVALID_QUERY'],
      [
        'limit=100000',
        fetch(`${url}/messages?limit=100000`, { headers: ALICE }),
        400,
        'INVALID_QUERY',
      ],
      [
        'after and before',
        fetch(`${url}/messages?after=1&before=3`, { headers: ALICE }),
        400,
        'INVALID_QUERY',
      ],
      ['unknown route', fetch(`${base}/nope`, { headers: ALICE }), 404, 'NOT_FOUND'],
      [
        'wrong method',
        fetch(`${url}/stream`, { method: 'POST', headers: ALICE }),
        405,
        'METHOD_NOT_ALLOWED',
      ],
    ];
    for (const [what, pending, status, code] of cases) {
      const response = await pending;
      expect(response.status, what).toBe(status);
      const text = await response.text();
      expect(text, what).not.toContain('private');
      if (code) expect(JSON.parse(text).error.code, what).toBe(code);
    }
    await waitFor(async () =>
      expect((await stored(conversationId)).map((row) => row.content)).toEqual([
        'private',
        'You said: private ',
      ]),
    );
  });
});
