/**
 * The Next.js + tRPC + Drizzle example (examples/next), as production runs it: `next build`,
 * then `next start` on a private PostgreSQL schema, driven in Chromium. Sends go through the
 * tRPC mutation, replies stream through the SSE route (the same bus: one shared module), the
 * order survives a reload and a burst of sends, and the server-rendered HTML already holds
 * the history (prefetched from the store, hydrated) instead of "No messages yet.".
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../support/services';
import { launchChromium, shownRows, waitForSettled } from './support/browser';
import {
  createPrivateSchema,
  NEXT_APP_DIR,
  type NextProcess,
  openChat,
  type PrivateSchema,
  runNext,
  sendText,
  signIn,
  startNext,
  waitForReply,
} from './support/next';

const postgres = await requireService('postgres');

describe.runIf(postgres)('examples/next: next build + next start', () => {
  let schema: PrivateSchema;
  let server: NextProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    schema = await createPrivateSchema();
    // Slow on a loaded 2-core box: built once for the whole file.
    await runNext(NEXT_APP_DIR, ['build'], 900_000);
    server = await startNext(NEXT_APP_DIR, 'start', { DATABASE_URL: schema.url });
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
    page.setDefaultTimeout(60_000);
    await signIn(page, server.url, 'alice');
  }, 1_000_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await schema?.drop();
  });

  it('sends through tRPC, streams the reply, and keeps the order across a reload', async () => {
    await openChat(page, server.url, 'alice-first');
    await sendText(page, 'hello next');
    await waitForReply(page, 'Echo: hello next');
    const shown = await waitForSettled(page, 2);
    expect(shown.map((row) => [row.sequence, row.role, row.content])).toEqual([
      [1, 'user', 'hello next'],
      [2, 'assistant', 'Echo: hello next'],
    ]);
    await page.reload();
    await page.getByTestId('stream-status').filter({ hasText: 'live' }).waitFor();
    expect(await waitForSettled(page, 2)).toEqual(shown);
    // Stored as shown, and readable with the example's Drizzle schema.
    const stored = await schema.rows('alice-first');
    expect(stored.map((row) => [row.sequence, row.role, row.content, row.status])).toEqual([
      [1, 'user', 'hello next', 'complete'],
      [2, 'assistant', 'Echo: hello next', 'complete'],
    ]);
    expect(stored[1]!.clientId).toBeNull();
  });

  it('stores 10 rapid sends in the order they were sent, each with its reply after it', async () => {
    await openChat(page, server.url, 'alice-burst');
    const texts = Array.from({ length: 10 }, (_, i) => `burst ${i}`);
    for (const text of texts) await sendText(page, text);
    const shown = await waitForSettled(page, 20, 120_000);
    const stored = await schema.rows('alice-burst');
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
      await fetch(`${server.url}/c/alice-first`, { headers: { cookie: 'user=alice' } })
    ).text();
    expect(html).toContain('hello next');
    expect(html).toContain('Echo: hello next');
    expect(html).not.toContain('No messages yet.');

    const noScript = await browser.newContext({ javaScriptEnabled: false });
    try {
      const bare = await noScript.newPage();
      await signIn(bare, server.url, 'alice');
      await bare.goto(`${server.url}/c/alice-first`);
      const rows = await shownRows(bare);
      expect(rows.map((row) => [row.sequence, row.role, row.status, row.content])).toEqual([
        [1, 'user', 'complete', 'hello next'],
        [2, 'assistant', 'complete', 'Echo: hello next'],
      ]);
    } finally {
      await noScript.close();
    }

    // An empty conversation says so; someone else's is not rendered at all.
    const empty = await fetch(`${server.url}/c/alice-empty`, { headers: { cookie: 'user=alice' } });
    expect(await empty.text()).toContain('No messages yet.');
    const other = await fetch(`${server.url}/c/alice-first`, { headers: { cookie: 'user=bob' } });
    expect(other.status).toBe(404);
    expect(await other.text()).not.toContain('hello next');
  });

  it('authorizes the tRPC send and the routes like the POST: others get 403/401, nothing stored', async () => {
    const send = (cookie: string | undefined, clientId: string) =>
      fetch(`${server.url}/api/trpc/send`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
        body: JSON.stringify({ conversationId: 'alice-first', clientId, content: 'intruder' }),
      });
    expect((await send('user=bob', 'x1')).status).toBe(403);
    expect((await send(undefined, 'x2')).status).toBe(403);
    const history = await fetch(`${server.url}/api/conversations/alice-first/messages`, {
      headers: { cookie: 'user=bob' },
    });
    expect(history.status).toBe(403);
    expect(await history.text()).not.toContain('hello next');
    expect((await schema.rows('alice-first')).map((row) => row.content)).not.toContain('intruder');
    // A bad send is refused with the route's status and says why.
    const empty = await fetch(`${server.url}/api/trpc/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: 'user=alice' },
      body: JSON.stringify({ conversationId: 'alice-first', clientId: 'x3', content: ' ' }),
    });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('content must be a non-empty string');
  });
});
