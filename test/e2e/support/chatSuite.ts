/**
 * The demo's end-to-end suite, registered once per backend: rapid sends
 * while replies stream, reload; two tabs at once; a crash mid-reply.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../../support/services';
import {
  launchChromium,
  openConversation,
  type ShownRow,
  shownRows,
  waitForSettled,
} from './browser';
import { type Backend, type DemoProcess, type StoredRow, startDemo, storedMessages } from './demo';

export async function describeChatSuite(backend: Backend): Promise<void> {
  let ready = true;
  for (const service of backend.services) ready = (await requireService(service)) && ready;

  describe.runIf(ready)(`demo chat on ${backend.name}`, () => {
    let browser: Browser;
    let demo: DemoProcess;
    const run = Date.now().toString(36);

    beforeAll(async () => {
      [browser, demo] = await Promise.all([launchChromium(), startDemo(backend)]);
    });
    afterAll(async () => {
      await browser?.close();
      await demo?.stop();
    });

    it('20 rapid clicks while replies stream: stored in send order, and the order survives a reload', async () => {
      const conversationId = `rapid-${run}`;
      const page = await browser.newPage();
      await openConversation(page, demo.url, conversationId);
      await expectRapidSendsSurviveReload(page, backend, conversationId);
      await page.close();
    });

    it('the same with the demo chaos on (latency 50–1300 ms per POST, reordered and dropped stream)', async () => {
      const conversationId = `rapid-chaos-${run}`;
      const page = await browser.newPage();
      await openConversation(page, demo.url, conversationId);
      await expectRapidSendsSurviveReload(page, backend, conversationId, { chaos: true });
      await page.close();
    });

    it('a reload in the middle of a 20-message burst on a slow network: each shown and stored once, in send order', async () => {
      const conversationId = `midburst-${run}`;
      const page = await browser.newPage();
      await openConversation(page, demo.url, conversationId);
      // Every POST waits 400 ms before it leaves the page, so most of the burst is still queued.
      await page.route('**/api/conversations/*/messages', async (route) => {
        if (route.request().method() === 'POST') await sleep(400);
        await route.continue().catch(() => {}); // the reload aborted it: the outbox has it
      });
      await clickSends(page, 20);
      const storedAtReload = await storedMessages(backend, conversationId);
      expect(storedAtReload.filter((m) => m.role === 'user').length).toBeLessThan(20);
      await page.reload();
      await page.getByTestId('stream-status').filter({ hasText: 'live' }).waitFor();
      const rows = await waitForSettled(page, 40);
      const stored = await storedMessages(backend, conversationId);
      expectSameAsDatabase(rows, stored);
      expect(stored.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(clicks(20));
      await page.close();
    });

    it('two tabs sending at once converge to the same order, without duplicates', async () => {
      const conversationId = `tabs-${run}`;
      const contexts = await Promise.all([browser.newContext(), browser.newContext()]);
      const pages = await Promise.all(contexts.map((context) => context.newPage()));
      await Promise.all(pages.map((page) => openConversation(page, demo.url, conversationId)));
      // Both tabs fire ten sends in the same moment.
      await Promise.all(
        pages.map((page) => page.getByRole('button', { name: 'Send 10 rapid messages' }).click()),
      );
      const [a, b] = await Promise.all(pages.map((page) => waitForSettled(page, 40)));
      expect(a!.map(visible)).toEqual(b!.map(visible));
      expectSameAsDatabase(a!, await storedMessages(backend, conversationId));
      await Promise.all(contexts.map((context) => context.close()));
    });

    it('the server is killed mid-reply and restarted: the page reconnects, the reply resumes from its stored offset, every message shows once', async () => {
      const conversationId = `crash-${run}`;
      const page = await browser.newPage();
      await openConversation(page, demo.url, conversationId);
      await page.getByRole('textbox', { name: 'Message' }).fill('tell me about ordering');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      // Kill as soon as the reply has some streamed text, well before its end.
      await page.waitForFunction(
        () => {
          const reply = document.querySelector<HTMLElement>('[data-role="assistant"]');
          return reply?.dataset.status === 'streaming' && (reply.textContent ?? '').length > 10;
        },
        undefined,
        { polling: 20, timeout: 20_000 },
      );
      await demo.kill();
      const shownAtKill = (await shownRows(page)).find((row) => row.role === 'assistant')!;
      const storedAtKill = (await storedMessages(backend, conversationId)).find(
        (m) => m.role === 'assistant',
      )!;
      // Not final in the database (the writer persists every 200 ms, so it may still read 'pending').
      expect(['pending', 'streaming']).toContain(storedAtKill.status);
      await page.getByTestId('stream-status').filter({ hasNotText: 'live' }).waitFor();

      demo = await startDemo(backend, { port: demo.port });
      expect(demo.output()).toMatch(/1 unfinished reply resumed from their stored offset/);
      const rows = await waitForSettled(page, 2);
      const stored = await storedMessages(backend, conversationId);
      expectSameAsDatabase(rows, stored);
      const reply = rows.find((row) => row.role === 'assistant')!;
      expect(reply.content.startsWith(shownAtKill.content)).toBe(true);
      expect(reply.content.startsWith(storedAtKill.content)).toBe(true);
      expect(reply.content.length).toBeGreaterThan(shownAtKill.content.length);
      expect(reply.content).toMatch(/sequence #2, reserved together with your message \(#1\)/);

      // And the page goes on working after the restart.
      await page.getByRole('textbox', { name: 'Message' }).fill('still there?');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      expectSameAsDatabase(
        await waitForSettled(page, 4),
        await storedMessages(backend, conversationId),
      );
      await page.close();
    });
  });
}

// ---------------------------------------------------------------------------

/**
 * On a page opened on `conversationId`: 20 sends as fast as the page takes them while
 * replies stream (with the demo's chaos toggle on, if asked), then a reload. The user's
 * messages are stored in the order they were sent; the rows before and after the reload
 * are the same, equal the database's order, and hold every prompt once.
 */
export async function expectRapidSendsSurviveReload(
  page: Page,
  backend: Backend,
  conversationId: string,
  { chaos = false }: { chaos?: boolean } = {},
): Promise<void> {
  if (chaos) await page.getByRole('checkbox', { name: /Chaos/ }).check();
  await clickSends(page, 20);
  const before = await waitForSettled(page, 40, 120_000);
  await page.reload();
  await page.getByTestId('stream-status').filter({ hasText: 'live' }).waitFor();
  const after = await waitForSettled(page, 40, 120_000);

  expect(after.map(visible)).toEqual(before.map(visible));
  const stored = await storedMessages(backend, conversationId);
  expectSameAsDatabase(after, stored);
  // The order the user sent them: the original ticket's first test, taken literally.
  expect(stored.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(clicks(20));
}

/** `click 1` … `click n`: what `clickSends` types. */
export function clicks(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `click ${i + 1}`);
}

/** Types and sends `click 1` … `click n` through the composer, as fast as the page takes them. */
export async function clickSends(page: Page, n: number): Promise<void> {
  const input = page.getByRole('textbox', { name: 'Message' });
  const send = page.getByRole('button', { name: 'Send', exact: true });
  for (const text of clicks(n)) {
    await input.fill(text);
    await send.click();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What a user sees of a row (keys differ after a reload: an optimistic row is keyed by its clientId). */
export function visible(row: ShownRow) {
  return { id: row.id, sequence: row.sequence, role: row.role, content: row.content };
}

/** Shown once each, in the database's sequence order, with the stored content; sequences 1..n; each reply right after its prompt. */
export function expectSameAsDatabase(shown: ShownRow[], stored: StoredRow[]): void {
  expect(new Set(shown.map((row) => row.id)).size).toBe(shown.length);
  expect(shown.map(visible)).toEqual(
    stored.map((m) => ({ id: m.id, sequence: m.sequence, role: m.role, content: m.content })),
  );
  expect(stored.map((m) => m.sequence)).toEqual(stored.map((_, i) => i + 1));
  expect(stored.every((m) => m.status === 'complete')).toBe(true);
  expect(stored.map((m) => m.role)).toEqual(
    stored.map((_, i) => (i % 2 === 0 ? 'user' : 'assistant')),
  );
}

export type { Page };
