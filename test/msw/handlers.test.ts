import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMessageHandlers, type MessageHandlers } from '../../src/msw/index';
import { readFrames, record, take } from './sseClient';

const BASE = 'http://chat.test/api';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

let counter = 0;
/** A fresh mock and a fresh conversation per test. */
function setup(options: Parameters<typeof createMessageHandlers>[0] = {}) {
  const handlers = createMessageHandlers({ baseUrl: '/api', seed: 1, keepAliveMs: 0, ...options });
  server.use(...handlers);
  const id = `c${++counter}`;
  return { handlers, id, ...routes(id) };
}

function routes(id: string) {
  const messages = `${BASE}/conversations/${id}/messages`;
  return {
    messagesUrl: messages,
    streamUrl: `${BASE}/conversations/${id}/stream`,
    post: (body: unknown) =>
      fetch(messages, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
  };
}

const send = (content: string, clientId = `client-${content}`) => ({
  clientId,
  role: 'user',
  content,
});

function snapshot(handlers: MessageHandlers, id: string) {
  return { messages: handlers.db.messages(id), events: handlers.db.bus.entries(id).length };
}

describe('POST messages', () => {
  it('stores the message and reserves its reply with the next sequence', async () => {
    const { handlers, id, post } = setup();
    const response = await post(send('hello'));
    expect(response.status).toBe(201);
    const { message, reply } = await response.json();
    expect(message).toMatchObject({
      sequence: 1,
      role: 'user',
      content: 'hello',
      clientId: 'client-hello',
      conversationId: id,
      status: 'complete',
    });
    expect(reply).toMatchObject({ sequence: 2, role: 'assistant', content: '', status: 'pending' });
    await handlers.db.idle();
    const truth = handlers.db.messages(id);
    expect(truth.map((m) => m.sequence)).toEqual([1, 2]);
    expect(truth[1]!.status).toBe('complete');
    expect(truth[1]!.content.length).toBeGreaterThan(0);
  });

  it('is idempotent on clientId: a repeat returns the same message with 200', async () => {
    const { handlers, id, post } = setup();
    const first = await (await post(send('once'))).json();
    const again = await post(send('once'));
    expect(again.status).toBe(200);
    const body = await again.json();
    expect(body.message).toEqual(first.message);
    expect(body.reply.id).toBe(first.reply.id);
    expect(handlers.db.messages(id)).toHaveLength(2);
  });

  it('stores one message for concurrent repeats of one clientId', async () => {
    const { handlers, id, post } = setup();
    const responses = await Promise.all([
      post(send('race')),
      post(send('race')),
      post(send('race')),
    ]);
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    const ids = await Promise.all(responses.map(async (r) => (await r.json()).message.id));
    expect(new Set(ids).size).toBe(1);
    expect(handlers.db.messages(id)).toHaveLength(2);
  });

  it('answers 409 when a clientId is reused for other content', async () => {
    const { handlers, id, post } = setup();
    await post(send('a', 'same'));
    const response = await post(send('b', 'same'));
    expect(response.status).toBe(409);
    expect((await response.json()).error.code).toBe('CLIENT_ID_CONFLICT');
    expect(handlers.db.messages(id)).toHaveLength(2);
  });

  it('reserves one sequence for a non-user message (no reply)', async () => {
    const { handlers, id, post } = setup();
    const { message, reply } = await (
      await post({ clientId: 's', role: 'system', content: 'x' })
    ).json();
    expect(message.sequence).toBe(1);
    expect(reply).toBeUndefined();
    expect(handlers.db.messages(id)).toHaveLength(1);
  });

  it.each([
    ['malformed JSON', '{"clientId":', 'INVALID_JSON'],
    ['a missing clientId', { role: 'user', content: 'x' }, 'INVALID_MESSAGE'],
    ['an empty clientId', { clientId: '', role: 'user', content: 'x' }, 'INVALID_MESSAGE'],
    ['a bad role', { clientId: 'k', role: 'robot', content: 'x' }, 'INVALID_MESSAGE'],
    ['non-string content', { clientId: 'k', role: 'user', content: 3 }, 'INVALID_MESSAGE'],
    ['an array body', [], 'INVALID_MESSAGE'],
  ])('rejects %s with 400 and changes nothing', async (_, body, code) => {
    const { handlers, id, post } = setup();
    await post(send('before'));
    const before = snapshot(handlers, id);
    const response = await post(body);
    expect(response.status).toBe(400);
    const { error } = await response.json();
    expect(error.code).toBe(code);
    expect(error.message).toMatch(/^\[seqline\] \[msw\] /);
    expect(snapshot(handlers, id)).toEqual(before);
  });
});

describe('GET messages', () => {
  it('returns messages ascending, honouring after and limit', async () => {
    const { id, messagesUrl } = setup({
      reply: false,
      conversations: {},
    });
    const { post } = routes(id);
    for (const content of ['a', 'b', 'c', 'd', 'e']) await post(send(content));
    const all = await (await fetch(messagesUrl)).json();
    expect(all.messages.map((m: { sequence: number }) => m.sequence)).toEqual([1, 2, 3, 4, 5]);
    const page = await (await fetch(`${messagesUrl}?after=2&limit=2`)).json();
    expect(page.messages.map((m: { content: string }) => m.content)).toEqual(['c', 'd']);
    const empty = await (await fetch(`${messagesUrl}?after=5`)).json();
    expect(empty.messages).toEqual([]);
  });

  it('serves preloaded conversations', async () => {
    const handlers = createMessageHandlers({
      baseUrl: '/api',
      conversations: {
        seeded: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
        ],
      },
    });
    server.use(...handlers);
    const { messages } = await (await fetch(`${BASE}/conversations/seeded/messages`)).json();
    expect(
      messages.map((m: { content: string; sequence: number }) => [m.sequence, m.content]),
    ).toEqual([
      [1, 'hi'],
      [2, 'hello'],
    ]);
    // The allocator was advanced past the preload.
    const { message } = await (await routes('seeded').post(send('next'))).json();
    expect(message.sequence).toBe(3);
  });

  it.each(['-1', 'x', '1.5'])('rejects after=%s with 400', async (after) => {
    const { messagesUrl } = setup();
    const response = await fetch(`${messagesUrl}?after=${after}`);
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe('INVALID_QUERY');
  });

  it('rejects limit=0 with 400', async () => {
    const { messagesUrl } = setup();
    expect((await fetch(`${messagesUrl}?limit=0`)).status).toBe(400);
  });

  it('reads backwards: no after and no before is the latest page, before= the page below', async () => {
    const handlers = createMessageHandlers({
      baseUrl: '/api',
      conversations: {
        long: Array.from({ length: 10 }, (_, i) => ({
          role: 'user' as const,
          content: `m${i + 1}`,
        })),
      },
    });
    server.use(...handlers);
    const { messagesUrl } = routes('long');
    const sequences = async (query: string) =>
      (
        (await (await fetch(`${messagesUrl}${query}`)).json()).messages as { sequence: number }[]
      ).map((m) => m.sequence);
    expect(await sequences('?limit=3')).toEqual([8, 9, 10]);
    expect(await sequences('?before=8&limit=3')).toEqual([5, 6, 7]);
    expect(await sequences('?before=3&limit=3')).toEqual([1, 2]);
    expect(await sequences('?before=1&limit=3')).toEqual([]);
    expect(await sequences('?before=100&limit=2')).toEqual([9, 10]);
    expect(await sequences('?after=8&limit=3')).toEqual([9, 10]);
    // Without a limit, every message of the range (as before).
    expect(await sequences('')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it.each([
    'before=0',
    'before=-1',
    'before=abc',
    'before=1.5',
    'limit=0',
    'limit=100000',
    'limit=-5',
    'after=1&before=5',
  ])('rejects %s with a 400 JSON error and changes nothing', async (query) => {
    const { handlers, id, messagesUrl, post } = setup({ reply: false });
    await post(send('kept'));
    const before = snapshot(handlers, id);
    const response = await fetch(`${messagesUrl}?${query}`);
    expect(response.status).toBe(400);
    const { error } = await response.json();
    expect(error.code).toBe('INVALID_QUERY');
    expect(error.message).toMatch(/^\[seqline\] \[server\] `(before|limit|after)`|not both/);
    expect(snapshot(handlers, id)).toEqual(before);
  });
});

describe('GET stream', () => {
  it('streams the message events and the reply as deltas, with a cursor on each', async () => {
    const { handlers, id, post, streamUrl } = setup({ reply: { text: () => 'Hello there' } });
    // Live: a stream opened after the reply would catch up from the store instead (2 snapshots).
    const reference = record(handlers.db, id);
    const pending = take(streamUrl, 6);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await post(send('hi'));
    await handlers.db.idle();
    const events = await pending;
    reference.stop();
    // message, message, 3 deltas of 4 characters, status: everything the bus carried.
    expect(handlers.db.bus.entries(id)).toHaveLength(6);
    // Each with the cursor createConversationStream gives it, all different.
    expect(events.map((e) => e.id)).toEqual(reference.entries.map((e) => e.cursor));
    expect(new Set(events.map((e) => e.id)).size).toBe(6);
    expect(events[0]!.event).toMatchObject({ type: 'message', message: { sequence: 1 } });
    expect(events[1]!.event).toMatchObject({
      type: 'message',
      message: { sequence: 2, status: 'pending' },
    });
    const text = events
      .filter((e) => e.event.type === 'delta')
      .map((e) => e.event.text)
      .join('');
    const reply = handlers.db.messages(id)[1]!;
    expect(text).toBe(reply.content);
    expect(events.at(-1)!.event).toEqual({
      type: 'status',
      messageId: reply.id,
      status: 'complete',
    });
  });

  it('delivers live events to an open stream', async () => {
    const { id, post, streamUrl } = setup({ reply: { intervalMs: 1, chunkSize: 100 } });
    const pending = take(streamUrl, 4);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await post(send('live'));
    const events = await pending;
    expect(events.map((e) => e.event.type)).toEqual(['message', 'message', 'delta', 'status']);
    expect((events[0]!.event.message as { conversationId: string }).conversationId).toBe(id);
  });

  it('resumes after Last-Event-ID, from the header or the query', async () => {
    const { handlers, id, post, streamUrl } = setup({ reply: { text: () => 'Hello there' } });
    const reference = record(handlers.db, id);
    await post(send('one'));
    await handlers.db.idle();
    reference.stop();
    const cursors = reference.entries.map((e) => e.cursor);
    expect(cursors).toHaveLength(6);
    const reply = handlers.db.messages(id)[1]!;
    // After the first delta: the user's message is not sent again, the reply catches up from the store.
    const resumed = await take(streamUrl, 1, { 'last-event-id': cursors[2]! });
    expect(resumed[0]!.event).toEqual({ type: 'message', message: reply });
    // Before the final status: only what completes the reply.
    const byQuery = await take(`${streamUrl}?lastEventId=${encodeURIComponent(cursors[4]!)}`, 1);
    expect(JSON.stringify(byQuery[0]!.event)).toContain(`"${reply.id}"`);
    expect(JSON.stringify(byQuery[0]!.event)).toContain('"complete"');
  });

  it('skips, for a fresh subscriber with ?after=, every event about the messages it loaded', async () => {
    const { handlers, id, post, streamUrl } = setup({ reply: false });
    for (const content of ['a', 'b', 'c']) await post(send(content));
    // The client loaded 1..2: only message 3 and what follows come over the stream.
    const events = take(`${streamUrl}?after=2`, 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await post(send('d'));
    const got = await events;
    expect(got.map((e) => (e.event.message as { sequence: number }).sequence)).toEqual([3, 4]);
    expect(handlers.db.bus.entries(id)).toHaveLength(4);
  });

  it.each(['after=-1', 'after=x'])('rejects a stream with %s with 400', async (query) => {
    const { streamUrl } = setup();
    const response = await fetch(`${streamUrl}?${query}`);
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe('INVALID_QUERY');
  });

  it('replays everything for a forged cursor', async () => {
    const { handlers, id, post, streamUrl } = setup();
    await post(send('one'));
    await handlers.db.idle();
    for (const forged of ['999', 'drop table', '-5', '2.3.x']) {
      const events = await take(streamUrl, 2, { 'last-event-id': forged });
      // The whole conversation from the store: the message and its finished reply.
      expect(events.map((e) => e.event)).toEqual(
        handlers.db.messages(id).map((message) => ({ type: 'message', message })),
      );
    }
    expect(handlers.db.bus.subscribers(id)).toBe(0);
  });

  it('closes the server side when the client aborts', async () => {
    const { handlers, id, streamUrl } = setup();
    const abort = new AbortController();
    await fetch(streamUrl, { signal: abort.signal });
    expect(handlers.db.bus.subscribers(id)).toBe(1);
    abort.abort();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(handlers.db.bus.subscribers(id)).toBe(0);
  });

  it('sends keep-alive comments at the configured interval', async () => {
    const { streamUrl } = setup({ keepAliveMs: 20 });
    const abort = new AbortController();
    const response = await fetch(streamUrl, { signal: abort.signal });
    const comments: string[] = [];
    for await (const frame of readFrames(response.body!)) {
      if (frame.comment !== undefined) comments.push(frame.comment);
      if (comments.length === 2) break;
    }
    abort.abort();
    expect(comments).toEqual(['keep-alive', 'keep-alive']);
  });
});
