/**
 * The Next.js + tRPC + Drizzle example (examples/next), as production runs it: `next build`,
 * then `next start` on a private PostgreSQL schema, driven in Chromium. Sends go through the
 * tRPC mutation, replies stream through the SSE route (the same bus: one shared module), the
 * order survives a reload and a burst of sends, and the server-rendered HTML already holds
 * the history (prefetched from the store, hydrated) instead of "No messages yet.".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../support/services';
import { shownRows, waitForSettled } from './support/browser';
import {
  type ExampleRun,
  NEXT_APP_DIR,
  openChat,
  runExample,
  runNext,
  sendText,
  signIn,
  waitForReply,
} from './support/next';

const postgres = await requireService('postgres');

describe.runIf(postgres)('examples/next: next build + next start', () => {
  let run: ExampleRun;

  beforeAll(async () => {
    // Slow on a loaded 2-core box: built once for the whole file.
    await runNext(NEXT_APP_DIR, ['build'], 900_000);
    run = await runExample(NEXT_APP_DIR, 'start', 60_000);
  }, 1_000_000);

  afterAll(async () => {
    await run?.close();
  });

  it('sends through tRPC, streams the reply, and keeps the order across a reload', async () => {
    await openChat(run.page, run.server.url, 'alice-first');
    await sendText(run.page, 'hello next');
    await waitForReply(run.page, 'Echo: hello next');
    const shown = await waitForSettled(run.page, 2);
    expect(shown.map((row) => [row.sequence, row.role, row.content])).toEqual([
      [1, 'user', 'hello next'],
      [2, 'assistant', 'Echo: hello next'],
    ]);
    await run.page.reload();
    await run.page.getByTestId('stream-status').filter({ hasText: 'live' }).waitFor();
    expect(await waitForSettled(run.page, 2)).toEqual(shown);
    // Stored as shown, and readable with the example's Drizzle schema.
    const stored = await run.schema.rows('alice-first');
    expect(stored.map((row) => [row.sequence, row.role, row.content, row.status])).toEqual([
      [1, 'user', 'hello next', 'complete'],
      [2, 'assistant', 'Echo: hello next', 'complete'],
    ]);
    expect(stored[1]!.clientId).toBeNull();
  });

  it('stores 10 rapid sends in the order they were sent, each with its reply after it', async () => {
    await openChat(run.page, run.server.url, 'alice-burst');
    const texts = Array.from({ length: 10 }, (_, i) => `burst ${i}`);
    for (const text of texts) await sendText(run.page, text);
    const shown = await waitForSettled(run.page, 20, 120_000);
    const stored = await run.schema.rows('alice-burst');
    expect(stored.map((row) => row.sequence)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(stored.filter((row) => row.role === 'user').map((row) => row.content)).toEqual(texts);
    // Each reply right after its prompt: the routes reserve it in the prompt's transaction.
    stored.forEach((row, i) => {
      if (i % 2 === 1) expect(row.content).toBe(`Echo: ${stored[i - 1]!.content}`);
    });
    expect(shown.map((row) => [row.sequence, row.content])).toEqual(
      stored.map((row) => [row.sequence, row.content]),
    );
  });

  it('server-renders the history: the HTML and a page without JavaScript show the messages', async () => {
    // From the first test: the history is in the database.
    const html = await (
      await fetch(`${run.server.url}/c/alice-first`, { headers: { cookie: 'user=alice' } })
    ).text();
    expect(html).toContain('hello next');
    expect(html).toContain('Echo: hello next');
    expect(html).not.toContain('No messages yet.');

    const noScript = await run.browser.newContext({ javaScriptEnabled: false });
    try {
      const bare = await noScript.newPage();
      await signIn(bare, run.server.url, 'alice');
      await bare.goto(`${run.server.url}/c/alice-first`);
      const rows = await shownRows(bare);
      expect(rows.map((row) => [row.sequence, row.role, row.status, row.content])).toEqual([
        [1, 'user', 'complete', 'hello next'],
        [2, 'assistant', 'complete', 'Echo: hello next'],
      ]);
    } finally {
      await noScript.close();
    }

    // An empty conversation says so; someone else's is not rendered at all.
    const empty = await fetch(`${run.server.url}/c/alice-empty`, {
      headers: { cookie: 'user=alice' },
    });
    expect(await empty.text()).toContain('No messages yet.');
    const other = await fetch(`${run.server.url}/c/alice-first`, {
      headers: { cookie: 'user=bob' },
    });
    expect(other.status).toBe(404);
    expect(await other.text()).not.toContain('hello next');
  });

  it('authorizes the tRPC send and the routes like the POST: others get 403/401, nothing stored', async () => {
    const send = (cookie: string | undefined, clientId: string) =>
      fetch(`${run.server.url}/api/trpc/send`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
        body: JSON.stringify({ conversationId: 'alice-first', clientId, content: 'intruder' }),
      });
    expect((await send('user=bob', 'x1')).status).toBe(403);
    expect((await send(undefined, 'x2')).status).toBe(403);
    const history = await fetch(`${run.server.url}/api/conversations/alice-first/messages`, {
      headers: { cookie: 'user=bob' },
    });
    expect(history.status).toBe(403);
    expect(await history.text()).not.toContain('hello next');
    expect((await run.schema.rows('alice-first')).map((row) => row.content)).not.toContain(
      'intruder',
    );
    // A bad send is refused with the route's status and says why.
    const empty = await fetch(`${run.server.url}/api/trpc/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: 'user=alice' },
      body: JSON.stringify({ conversationId: 'alice-first', clientId: 'x3', content: ' ' }),
    });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('content must be a non-empty string');
  });
});
