/**
 * The stop route goes through the same gate as createMessageRoutes (one
 * factory in src/server/routes/gate.ts): the id check and `authorize` come
 * before the store is read, and failures map to the same codes. Pins the
 * gate being skipped or the stop route growing its own error mapping again.
 */
import { describe, expect, it, vi } from 'vitest';
import { type AiRoutesOptions, createAiRoutes } from '../../src/ai/index';
import {
  createMemoryMessageStore,
  type MessageStore,
  MessageStoreError,
} from '../../src/server/index';

function setup(extra: Partial<AiRoutesOptions> = {}) {
  const real = createMemoryMessageStore();
  const list = vi.fn(real.list);
  const onError = vi.fn();
  const routes = createAiRoutes({
    store: { ...real, list },
    authorize: () => true,
    generate: () => {
      throw new Error('not called: no message is sent here');
    },
    onError,
    ...extra,
  });
  return { routes, list, onError };
}

const stopRequest = (conversationId = 'c1', body: unknown = { sequence: 2 }) =>
  new Request(`http://x/api/conversations/${conversationId}/stop`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function errorOf(response: Response) {
  return [response.status, ((await response.json()) as { error: { code: string } }).error.code];
}

describe('the stop route shares the routes gate', () => {
  it('refuses a bad conversation id before authorize or the store', async () => {
    const authorize = vi.fn(() => true);
    const { routes, list } = setup({ authorize });
    expect(await errorOf(await routes.stop(stopRequest(), 'a\u0007b'))).toEqual([
      400,
      'INVALID_CONVERSATION_ID',
    ]);
    expect(await errorOf(await routes.handle(stopRequest('%E0%A4%A')))).toEqual([
      400,
      'INVALID_CONVERSATION_ID',
    ]);
    expect(authorize).not.toHaveBeenCalled();
    expect(list).not.toHaveBeenCalled();
  });

  it("answers authorize's verdict (403, or its own Response) and never reads the store", async () => {
    const denied = setup({ authorize: () => false });
    expect(await errorOf(await denied.routes.handle(stopRequest()))).toEqual([403, 'FORBIDDEN']);
    expect(denied.list).not.toHaveBeenCalled();

    const challenge = new Response('sign in', { status: 401 });
    const anonymous = setup({ authorize: () => challenge });
    expect(await anonymous.routes.handle(stopRequest())).toBe(challenge);
    expect(anonymous.list).not.toHaveBeenCalled();

    const asked = vi.fn(() => true);
    await setup({ authorize: asked }).routes.handle(stopRequest('c 9'));
    expect(asked).toHaveBeenCalledWith(expect.any(Request), 'c 9', 'write');
  });

  it('a throwing authorize is a logged 500; a store down is a logged 503 with Retry-After', async () => {
    const boom = new Error('session lookup failed');
    const failing = setup({
      authorize: () => {
        throw boom;
      },
    });
    const internal = await failing.routes.handle(stopRequest());
    expect(await errorOf(internal)).toEqual([500, 'INTERNAL']);
    expect(failing.onError).toHaveBeenCalledWith(boom);

    const backend = new MessageStoreError('BACKEND', '[seqline] [postgres] list() failed');
    const real = createMemoryMessageStore();
    const down: MessageStore = {
      ...real,
      list: async () => {
        throw backend;
      },
    };
    const offline = setup({ store: down });
    const unavailable = await offline.routes.handle(stopRequest());
    expect(unavailable.headers.get('retry-after')).toBe('1');
    expect(await errorOf(unavailable)).toEqual([503, 'UNAVAILABLE']);
    expect(offline.onError).toHaveBeenCalledWith(backend);
  });
});
