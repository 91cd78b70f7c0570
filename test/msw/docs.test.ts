/**
 * What docs/msw.md promises, checked in more detail than its snippets (which
 * test/docs runs as written): db.reset, { once: true } overrides, handlers.send
 * overrides on the same db, db.insert, the standalone factories.
 */
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createMessageHandlers,
  createMockDb,
  historyHandler,
  sendHandler,
  streamHandler,
} from '../../src/msw/index';
import { take } from './sseClient';

const handlers = createMessageHandlers({ baseUrl: '/api', seed: 1 });
const server = setupServer(...handlers);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  handlers.db.reset();
});
afterAll(() => server.close());

const post = (conversationId: string, clientId: string, content: string) =>
  fetch(`http://localhost/api/conversations/${conversationId}/messages`, {
    method: 'POST',
    body: JSON.stringify({ clientId, role: 'user', content }),
  });

it('stores a message and its reply in order', async () => {
  const response = await post('c1', 'k1', 'Hello');
  const { message, reply } = await response.json();
  expect([message.sequence, reply.sequence]).toEqual([1, 2]);

  await handlers.db.idle();
  expect(handlers.db.messages('c1').map((m) => m.status)).toEqual(['complete', 'complete']);
});

it('starts from nothing after db.reset()', async () => {
  // The previous test stored two messages in c1; afterEach reset them, counters included.
  expect(handlers.db.messages('c1')).toEqual([]);
  const { message } = await (await post('c1', 'k1', 'Hello')).json();
  expect(message.sequence).toBe(1);
});

it('shows a failed send, then retries it (a { once: true } override)', async () => {
  server.use(
    http.post(
      '*/api/conversations/:id/messages',
      () => HttpResponse.json({ error: { code: 'DOWN', message: 'try again' } }, { status: 503 }),
      { once: true },
    ),
  );
  expect((await post('c2', 'k', 'retry me')).status).toBe(503);
  expect(handlers.db.messages('c2')).toEqual([]);
  const retried = await post('c2', 'k', 'retry me');
  expect(retried.status).toBe(201);
  expect(handlers.db.messages('c2')).toHaveLength(2);
});

it('overrides one endpoint on the same db with handlers.send(overrides)', async () => {
  server.use(handlers.send({ chaos: { latency: 40 } }));
  const started = performance.now();
  await post('c3', 'k', 'slow');
  expect(performance.now() - started).toBeGreaterThanOrEqual(39);
  // Same db: the default history handler sees what the override stored.
  const { messages } = await (await fetch('http://localhost/api/conversations/c3/messages')).json();
  expect(messages).toHaveLength(2);
});

it('publishes db.insert on the stream and in the truth', async () => {
  const message = await handlers.db.insert('c4', { role: 'assistant', content: 'from a job' });
  expect(message.sequence).toBe(1);
  const [event] = await take(`http://localhost${handlers.urls.stream('c4')}`, 1);
  expect(event!.event).toEqual({ type: 'message', message });
  expect(handlers.urls.messages('c4')).toBe('/api/conversations/c4/messages');
});

describe('standalone factories over createMockDb', () => {
  it('serve the same protocol on a db of your own', async () => {
    const db = createMockDb({
      seed: 5,
      reply: { text: () => 'scripted', chunkSize: 3, intervalMs: 1 },
      conversations: { s1: [{ role: 'user', content: 'hi', clientId: 'hi-1' }] },
    });
    const base = 'https://other.test';
    server.use(
      historyHandler(db, { baseUrl: base }),
      sendHandler(db, { baseUrl: base }),
      streamHandler(db, { baseUrl: base, keepAliveMs: 0 }),
    );
    // A repeat of a preloaded clientId is recognised.
    const repeat = await fetch(`${base}/conversations/s1/messages`, {
      method: 'POST',
      body: JSON.stringify({ clientId: 'hi-1', role: 'user', content: 'hi' }),
    });
    expect(repeat.status).toBe(200);
    await fetch(`${base}/conversations/s1/messages`, {
      method: 'POST',
      body: JSON.stringify({ clientId: 'k', role: 'user', content: 'go' }),
    });
    await db.idle();
    expect(db.messages('s1').map((m) => m.content)).toEqual(['hi', 'go', 'scripted']);
    // A stream opened now catches up from the store, as production does: the stored messages.
    const events = await take(`${base}/conversations/s1/stream`, 3);
    expect(events.map((e) => e.event)).toEqual(
      db.messages('s1').map((message) => ({ type: 'message', message })),
    );
    // A full URL pins the origin: the same path elsewhere is not served by these handlers.
    const elsewhere = await fetch('http://localhost/api/conversations/s1/messages');
    expect((await elsewhere.json()).messages).toEqual([]);
  });
});
