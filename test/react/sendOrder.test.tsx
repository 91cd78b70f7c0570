/**
 * Issue 12: a user's rapid sends are stored, shown and kept in the order they
 * were sent — whatever the latency, a slow first request, a transient or a
 * permanent failure, or a reload in the middle of a burst.
 */
import { onlineManager } from '@tanstack/react-query';
import { act, waitFor } from '@testing-library/react';
import { delay, HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { createMessageHandlers, type MessageHandlers } from '../../src/msw/index';
import { type ChatHandle, newQueryClient, renderChat, setupMsw } from './harness';

const msw = setupMsw();

/** Contents of the user's messages as the mock server stored them, in sequence order. */
const storedUserContents = (handlers: MessageHandlers, conversationId: string) =>
  handlers.db
    .messages(conversationId)
    .filter((m) => m.role === 'user')
    .map((m) => m.content);

/** Records, at every DOM change, the order of the rows whose key is one of `keys`. */
function watchRowOrder(chat: ChatHandle) {
  const snapshots: string[][] = [];
  const take = () => snapshots.push(chat.rows().map((row) => row.dataset.row ?? ''));
  take();
  const observer = new MutationObserver(take);
  // Rows added, moved or confirmed (a confirmation changes only the row's attributes).
  observer.observe(document.body, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ['data-status', 'data-id'],
  });
  return {
    /** Throws unless the given keys appeared, at every change, in this relative order. */
    expectNeverReordered(keys: string[]) {
      const rank = new Map(keys.map((key, i) => [key, i]));
      for (const snapshot of snapshots) {
        const ranks = snapshot.filter((key) => rank.has(key)).map((key) => rank.get(key)!);
        expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
      }
      return snapshots.length;
    },
    stop: () => observer.disconnect(),
  };
}

describe('rapid sends under latency chaos', () => {
  it('30 sends, 0–300 ms per request and the first one slowest: stored and shown in send order, 20 seeds', async () => {
    const seeds = Array.from({ length: 20 }, (_, i) => i + 1);
    // The seeds run side by side, each on its own origin with its own seeded handlers.
    const runs = seeds.map((seed) => {
      const baseUrl = `http://seed-${seed}.test`;
      const handlers = createMessageHandlers({
        baseUrl,
        seed,
        chaos: { latency: [0, 300] },
        // No assistant replies: 20 chats render at once, and the order of sends is what is tested.
        reply: false,
      });
      let first = true;
      const slowFirst = http.post(`${baseUrl}/conversations/:id/messages`, async () => {
        if (!first) return undefined;
        first = false;
        await delay(300);
        return undefined;
      });
      msw.server.use(slowFirst, ...handlers);
      return { seed, baseUrl, handlers };
    });
    const chats = runs.map(({ baseUrl }) =>
      renderChat('burst', { baseUrl, stream: { reconnectDelay: 5 } }),
    );
    await waitFor(() => expect(chats.every((chat) => chat.sender())).toBe(true));
    const watches = chats.map(watchRowOrder);
    const texts = Array.from({ length: 30 }, (_, i) => `rapid ${i + 1}`);
    const clientIds = chats.map((chat) => {
      let ids: string[] = [];
      act(() => {
        ids = texts.map((text) => chat.send(text));
      });
      return ids;
    });

    for (const [i, { handlers }] of runs.entries()) {
      await waitFor(() => expect(storedUserContents(handlers, 'burst')).toHaveLength(30), {
        timeout: 60_000,
      });
      await handlers.db.idle();
      expect(storedUserContents(handlers, 'burst'), `seed ${runs[i]!.seed}`).toEqual(texts);
      await waitFor(() =>
        expect(chats[i]!.ids()).toEqual(handlers.db.messages('burst').map((m) => m.id)),
      );
      expect(watches[i]!.expectNeverReordered(clientIds[i]!)).toBeGreaterThan(30);
      watches[i]!.stop();
    }
    for (const chat of chats) chat.unmount();
  }, 180_000);
});

describe('failures in the middle of a burst', () => {
  /** A handler that answers message `content` with `status` the first `times` times. */
  const failing = (content: string, status: number, times = 1) => {
    let left = times;
    const attempts: string[] = [];
    const handler = http.post('*/conversations/:id/messages', async ({ request }) => {
      const body = (await request.clone().json()) as { content: string };
      attempts.push(body.content);
      if (body.content !== content || left === 0) return undefined;
      left--;
      return HttpResponse.json({ error: { message: `refused ${content}` } }, { status });
    });
    return { handler, attempts };
  };
  const ten = Array.from({ length: 10 }, (_, i) => `m${i + 1}`);

  it('a transient 503 on message 3 of 10 is retried: stored once, still 3rd', async () => {
    const handlers = createMessageHandlers({ seed: 5, reply: { chunkSize: 16, intervalMs: 1 } });
    const { handler, attempts } = failing('m3', 503);
    msw.server.use(handler, ...handlers);
    const chat = renderChat('transient', { sendOptions: { retry: { delayMs: () => 20 } } });
    const watch = watchRowOrder(chat);
    let ids: string[] = [];
    act(() => {
      ids = ten.map((text) => chat.send(text));
    });
    await waitFor(() => expect(storedUserContents(handlers, 'transient')).toHaveLength(10));
    await handlers.db.idle();
    expect(storedUserContents(handlers, 'transient')).toEqual(ten);
    expect(attempts.filter((content) => content === 'm3')).toHaveLength(2);
    // m4 left only after m3 was acknowledged: nothing overtook the retried message.
    expect(attempts.indexOf('m4')).toBeGreaterThan(attempts.lastIndexOf('m3'));
    await waitFor(() =>
      expect(chat.ids()).toEqual(handlers.db.messages('transient').map((m) => m.id)),
    );
    watch.expectNeverReordered(ids);
    expect(chat.sender().error).toBeNull();
    watch.stop();
    chat.unmount();
  });

  it('a permanent 400 on message 3: failed where it was shown, 4..10 stored after 2, its retry stored last', async () => {
    const handlers = createMessageHandlers({ seed: 6, reply: { chunkSize: 16, intervalMs: 1 } });
    const { handler, attempts } = failing('m3', 400);
    msw.server.use(handler, ...handlers);
    const chat = renderChat('permanent');
    const watch = watchRowOrder(chat);
    let ids: string[] = [];
    act(() => {
      ids = ten.map((text) => chat.send(text));
    });
    await waitFor(() => expect(storedUserContents(handlers, 'permanent')).toHaveLength(9));
    await handlers.db.idle();
    expect(storedUserContents(handlers, 'permanent')).toEqual(ten.filter((t) => t !== 'm3'));
    expect(attempts.filter((content) => content === 'm3')).toHaveLength(1);
    // Shown where it was sent: after m2 and m2's reply, before m4.
    await waitFor(() => expect(chat.rows()).toHaveLength(19));
    const keys = chat.rows().map((row) => row.dataset.row);
    const failedRow = chat.rows()[keys.indexOf(ids[2])]!;
    expect(failedRow.dataset.status).toBe('failed');
    expect(keys.indexOf(ids[2])).toBe(4);
    expect(keys.indexOf(ids[3])).toBe(5);
    expect(chat.sender().error?.message).toMatch(/answered 400: refused m3/);
    watch.expectNeverReordered(ids);
    watch.stop();

    // The retry is a new send: it moves after everything and is stored last.
    act(() => chat.retry(ids[2]!));
    await waitFor(() => expect(storedUserContents(handlers, 'permanent')).toHaveLength(10));
    await handlers.db.idle();
    expect(storedUserContents(handlers, 'permanent')).toEqual([
      ...ten.filter((t) => t !== 'm3'),
      'm3',
    ]);
    await waitFor(() =>
      expect(chat.ids()).toEqual(handlers.db.messages('permanent').map((m) => m.id)),
    );
    expect(chat.rows()[18]).toBe(failedRow);
    expect(chat.sender().error).toBeNull();
    chat.unmount();
  });
});

describe('offline', () => {
  it('sends wait while offline, pending, and leave in send order when back online', async () => {
    const handlers = createMessageHandlers({ seed: 10, reply: false });
    msw.server.use(...handlers);
    const posts: string[] = [];
    const listener = ({ request }: { request: Request }) => {
      if (request.method === 'POST') posts.push(request.url);
    };
    msw.server.events.on('request:start', listener);
    const chat = renderChat('offline');
    onlineManager.setOnline(false);
    try {
      act(() => {
        for (const text of ['a', 'b', 'c']) chat.send(text);
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(posts).toHaveLength(0);
      expect(chat.rows().map((row) => row.dataset.status)).toEqual([
        'pending',
        'pending',
        'pending',
      ]);
      expect(chat.sender().isPending).toBe(true);
    } finally {
      act(() => onlineManager.setOnline(true));
    }
    await waitFor(() => expect(storedUserContents(handlers, 'offline')).toEqual(['a', 'b', 'c']));
    await waitFor(() =>
      expect(chat.rows().map((row) => row.dataset.status)).toEqual([
        'complete',
        'complete',
        'complete',
      ]),
    );
    msw.server.events.removeListener('request:start', listener);
    chat.unmount();
  });
});

describe('the outbox', () => {
  it('a reload in the middle of a burst: every message shown again, stored once, in send order', async () => {
    const handlers = createMessageHandlers({ seed: 7, reply: false });
    // Before the "reload" the server stores message 4 but its answer never arrives, and
    // nothing after it leaves the page.
    let acked = 0;
    const hang = http.post('*/conversations/:id/messages', async ({ request, params }) => {
      const body = (await request.clone().json()) as { clientId: string; content: string };
      if (acked < 3) {
        acked++;
        return undefined;
      }
      await handlers.db.send(String(params.id), { ...body, role: 'user' });
      return new Promise<never>(() => {});
    });
    msw.server.use(hang, ...handlers);
    const texts = Array.from({ length: 10 }, (_, i) => `queued ${i + 1}`);
    const first = renderChat('reload');
    act(() => {
      for (const text of texts) first.send(text);
    });
    await waitFor(() => expect(handlers.db.messages('reload')).toHaveLength(4));
    const shownBefore = first.texts();
    expect(shownBefore).toEqual(texts);
    first.unmount();

    // The reload: a new QueryClient, the same localStorage, a server that answers again.
    msw.server.resetHandlers(...handlers);
    const requests: string[] = [];
    msw.server.events.on('request:start', ({ request }) => {
      if (request.method === 'POST') requests.push(request.url);
    });
    const second = renderChat('reload', { queryClient: newQueryClient() });
    await waitFor(() => expect(handlers.db.messages('reload')).toHaveLength(10));
    expect(handlers.db.messages('reload').map((m) => m.content)).toEqual(texts);
    await waitFor(() =>
      expect(second.ids()).toEqual(handlers.db.messages('reload').map((m) => m.id)),
    );
    expect(second.texts()).toEqual(texts);
    // Messages 4..10 were sent again, 4 with its clientId (answered 200, stored once).
    expect(requests).toHaveLength(7);
    expect(localStorage.length).toBe(0);
    msw.server.events.removeAllListeners();
    second.unmount();
  });

  it('two tabs restoring one outbox store each message once', async () => {
    const handlers = createMessageHandlers({ seed: 8, reply: false });
    let hold = true;
    const held = http.post('*/conversations/:id/messages', async () => {
      while (hold) await delay(10);
      return undefined;
    });
    msw.server.use(held, ...handlers);
    const texts = ['one', 'two', 'three'];
    const tabA = renderChat('tabs');
    act(() => {
      for (const text of texts) tabA.send(text);
    });
    // Tab B opens the same conversation while A's sends are still unacknowledged.
    const tabB = renderChat('tabs', { queryClient: newQueryClient() });
    await waitFor(() => expect(tabB.texts()).toEqual(texts));
    hold = false;
    await waitFor(() => expect(handlers.db.messages('tabs')).toHaveLength(3));
    await waitFor(() => {
      expect(tabA.ids()).toEqual(handlers.db.messages('tabs').map((m) => m.id));
      expect(tabB.ids()).toEqual(handlers.db.messages('tabs').map((m) => m.id));
    });
    expect(handlers.db.messages('tabs').map((m) => m.content)).toEqual(texts);
    tabA.unmount();
    tabB.unmount();
  });

  it('a message that failed for good comes back failed after a reload, with Retry', async () => {
    const handlers = createMessageHandlers({ seed: 9, reply: false });
    msw.server.use(
      http.post('*/conversations/:id/messages', () =>
        HttpResponse.json({ error: { message: 'too long' } }, { status: 413 }),
      ),
      ...handlers,
    );
    const first = renderChat('kept');
    let clientId = '';
    act(() => {
      clientId = first.send('a very long message');
    });
    await waitFor(() => expect(first.rows()[0]?.dataset.status).toBe('failed'));
    first.unmount();
    msw.server.resetHandlers(...handlers);
    const second = renderChat('kept', { queryClient: newQueryClient() });
    await waitFor(() => expect(second.rows()[0]?.dataset.status).toBe('failed'));
    expect(second.rows()[0]!.dataset.row).toBe(clientId);
    expect(handlers.db.messages('kept')).toHaveLength(0);
    act(() => second.retry(clientId));
    await waitFor(() => expect(second.rows()[0]?.dataset.status).toBe('complete'));
    expect(handlers.db.messages('kept').map((m) => m.clientId)).toEqual([clientId]);
    expect(localStorage.length).toBe(0);
    second.unmount();
  });
});
