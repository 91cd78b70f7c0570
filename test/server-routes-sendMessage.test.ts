/**
 * routes.sendMessage: the POST's path for a send that does not come as that POST (a tRPC
 * mutation, a server action). Authorized, validated, stored once per clientId, published and
 * its reply started, exactly as `send`; refusals are MessageRouteErrors with send's status.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  createMemoryBus,
  createMemoryMessageStore,
  createMessageRoutes,
  MessageRouteError,
  type MessageRoutesOptions,
  type MessageStore,
  MessageStoreError,
} from '../src/server';

const request = () => new Request('http://test.local/api/trpc/send', { method: 'POST' });

function setup(overrides: Partial<MessageRoutesOptions> = {}) {
  const store = createMemoryMessageStore();
  const bus = createMemoryBus();
  const publish = vi.spyOn(bus, 'publish');
  const onMessage = vi.fn();
  const onError = vi.fn();
  const routes = createMessageRoutes({
    store,
    bus,
    authorize: (_request, conversationId) => conversationId.startsWith('alice-'),
    onMessage,
    onError,
    ...overrides,
  });
  return { store, routes, publish, onMessage, onError };
}

async function refusal(promise: Promise<unknown>): Promise<MessageRouteError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MessageRouteError);
  return error as MessageRouteError;
}

describe('routes.sendMessage', () => {
  it('stores the message with its reply, publishes both and starts the reply once per clientId', async () => {
    const { store, routes, publish, onMessage } = setup();
    const input = { conversationId: 'alice-1', clientId: 'k1', content: 'Hi' };
    const first = await routes.sendMessage(request(), input);
    expect(first.created).toBe(true);
    expect(first.message).toMatchObject({
      sequence: 1,
      role: 'user',
      content: 'Hi',
      clientId: 'k1',
    });
    expect(first.reply).toMatchObject({ sequence: 2, role: 'assistant', status: 'pending' });
    expect(publish.mock.calls.map(([id, event]) => [id, (event as { type: string }).type])).toEqual(
      [
        ['alice-1', 'message'],
        ['alice-1', 'message'],
      ],
    );
    await vi.waitFor(() => expect(onMessage).toHaveBeenCalledTimes(1));
    expect(onMessage.mock.calls[0]![0]).toMatchObject({
      message: first.message,
      reply: first.reply,
    });
    expect(onMessage.mock.calls[0]![0].writer).toBeDefined();

    const again = await routes.sendMessage(request(), input);
    expect(again).toEqual({ ...first, created: false });
    expect(publish).toHaveBeenCalledTimes(2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(onMessage).toHaveBeenCalledTimes(1);
    expect(await store.list('alice-1', { limit: 10 })).toHaveLength(2);
  });

  it('shares the POST route idempotency: a POST then a sendMessage with its clientId stores once', async () => {
    const { store, routes } = setup();
    const response = await routes.send(
      new Request('http://test.local/conversations/alice-2/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'k1', content: 'Hi' }),
      }),
      'alice-2',
    );
    expect(response.status).toBe(201);
    const repeat = await routes.sendMessage(request(), {
      conversationId: 'alice-2',
      clientId: 'k1',
      content: 'Hi',
    });
    expect(repeat.created).toBe(false);
    expect(await store.list('alice-2', { limit: 10 })).toHaveLength(2);
  });

  it('asks authorize for write: false is a 403, a Response is kept, and nothing is stored', async () => {
    const authorize = vi.fn((_request: Request, conversationId: string) =>
      conversationId === 'guest-1' ? new Response('Sign in', { status: 401 }) : false,
    );
    const { store, routes, publish } = setup({ authorize });
    const denied = await refusal(
      routes.sendMessage(request(), { conversationId: 'bob-1', clientId: 'k1', content: 'Hi' }),
    );
    expect([denied.status, denied.code]).toEqual([403, 'FORBIDDEN']);
    expect(authorize).toHaveBeenLastCalledWith(expect.any(Request), 'bob-1', 'write');
    const unauthenticated = await refusal(
      routes.sendMessage(request(), { conversationId: 'guest-1', clientId: 'k1', content: 'Hi' }),
    );
    expect([unauthenticated.status, unauthenticated.code]).toEqual([401, 'UNAUTHORIZED']);
    expect(await unauthenticated.response?.text()).toBe('Sign in');
    expect(await store.list('bob-1', { limit: 10 })).toEqual([]);
    expect(await store.list('guest-1', { limit: 10 })).toEqual([]);
    expect(publish).not.toHaveBeenCalled();
  });

  it('refuses bad input with the POST route statuses, before anything is stored', async () => {
    const { store, routes } = setup();
    const cases: [unknown, number, string][] = [
      [{ conversationId: '', clientId: 'k', content: 'Hi' }, 400, 'INVALID_CONVERSATION_ID'],
      [{ conversationId: 'alice-3', clientId: '', content: 'Hi' }, 400, 'INVALID_CLIENT_ID'],
      [{ conversationId: 'alice-3', clientId: 'k', content: '  ' }, 400, 'INVALID_CONTENT'],
      [{ conversationId: 'alice-3', clientId: 'k', content: 7 }, 400, 'INVALID_CONTENT'],
      [
        { conversationId: 'alice-3', clientId: 'k', content: 'Hi', role: 'assistant' },
        422,
        'ROLE_NOT_ALLOWED',
      ],
      [
        { conversationId: 'alice-3', clientId: 'k', content: 'x'.repeat(16_001) },
        413,
        'CONTENT_TOO_LONG',
      ],
      [null, 400, 'INVALID_BODY'],
    ];
    for (const [input, status, code] of cases) {
      const error = await refusal(routes.sendMessage(request(), input as never));
      expect([error.status, error.code], JSON.stringify(input)).toEqual([status, code]);
      expect(error.message).toMatch(/^\[seqline\] \[routes\] /);
    }
    await routes.sendMessage(request(), { conversationId: 'alice-3', clientId: 'k', content: 'A' });
    const conflict = await refusal(
      routes.sendMessage(request(), { conversationId: 'alice-3', clientId: 'k', content: 'B' }),
    );
    expect([conflict.status, conflict.code]).toEqual([409, 'CLIENT_ID_CONFLICT']);
    expect(await store.list('alice-3', { limit: 10 })).toHaveLength(2);
  });

  it('logs a failing store through onError and rejects with 503 (retryable) or 500, cause kept', async () => {
    const real = createMemoryMessageStore();
    const down = new Error('connection refused');
    const broken: MessageStore = {
      ...real,
      append: async () => {
        throw down;
      },
    };
    const { routes, onError } = setup({ store: broken });
    const error = await refusal(
      routes.sendMessage(request(), { conversationId: 'alice-4', clientId: 'k', content: 'Hi' }),
    );
    expect([error.status, error.code]).toEqual([500, 'INTERNAL']);
    expect(error.cause).toBe(down);
    expect(onError).toHaveBeenCalledWith(down);

    const backend = new MessageStoreError('BACKEND', '[seqline] [postgres] append() failed');
    const { routes: routes503, onError: onError503 } = setup({
      store: {
        ...real,
        append: async () => {
          throw backend;
        },
      },
    });
    const unavailable = await refusal(
      routes503.sendMessage(request(), { conversationId: 'alice-4', clientId: 'k', content: 'Hi' }),
    );
    expect([unavailable.status, unavailable.code]).toEqual([503, 'UNAVAILABLE']);
    expect(unavailable.headers).toEqual({ 'retry-after': '1' });
    expect(onError503).toHaveBeenCalledWith(backend);
  });
});
