/**
 * The state stories of seqline/OrderedMessageList, as a designer sees them:
 * each opened in the BUILT Storybook (storybook-static) in headless Chromium,
 * its play function running as it does there. Each must reach its state
 * (without latency it was not written for) and then rest in it: the state
 * is still on screen 1.5 s later, with nothing clicked for the designer.
 *
 * SEQLINE_SCREENSHOT_DIR=dir saves one screenshot per state to look at.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';

let browser: Browser;

beforeAll(async () => {
  const { path, args } = inject('chromium');
  browser = await chromium.launch({ executablePath: path, args });
});

afterAll(async () => {
  await browser?.close();
});

/** What the story must show, read from the page: true when it is in its state. */
type InState = (page: Page) => Promise<boolean>;

const rows = (page: Page) =>
  page.$$eval('.seqline-chat__list [data-message-key]', (elements) =>
    elements.map((row) => ({
      sequence: (row as HTMLElement).dataset.sequence ?? null,
      status: (row as HTMLElement).dataset.status,
    })),
  );
const visible = (page: Page, text: string) => page.getByText(text, { exact: false }).isVisible();

const states: [story: string, inState: InState][] = [
  ['empty', (p) => visible(p, 'No messages yet. Say hello.')],
  ['loading', (p) => visible(p, 'Loading conversation…')],
  [
    'history-only',
    async (p) => {
      const shown = await rows(p);
      return shown.length === 6 && shown.every((row) => row.status === 'complete');
    },
  ],
  ['pending-send', (p) => visible(p, 'Sending…')],
  [
    'failed-send',
    async (p) =>
      (await p.getByRole('alert').filter({ hasText: 'Not sent' }).isVisible()) &&
      (await p.getByRole('button', { name: 'Retry' }).isVisible()),
  ],
  ['streaming-reply', (p) => p.getByRole('img', { name: 'typing' }).isVisible()],
  [
    'completed-reply',
    async (p) => {
      const shown = await rows(p);
      return (
        shown.length === 8 &&
        shown.every((row) => row.status === 'complete') &&
        !(await p.getByRole('img', { name: 'typing' }).isVisible())
      );
    },
  ],
  ['gap-being-filled', (p) => visible(p, 'Loading messages 9–11…')],
];

it.each(states)(
  'the %s story reaches its state at once and rests in it',
  async (story, inState) => {
    // A fresh browser context: a first visit, msw's service worker not yet installed.
    const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // Records, in the page, when the story first rendered and when its stream went live.
    await page.addInitScript(() => {
      const seen: Record<string, number> = {};
      Object.assign(window, { __seen: seen });
      new MutationObserver(() => {
        if (!seen.rendered && document.querySelector('[data-conversation-id]'))
          seen.rendered = performance.now();
        if (!seen.live && document.querySelector('[data-stream-status="open"]'))
          seen.live = performance.now();
      }).observe(document, { subtree: true, childList: true, attributes: true });
    });
    await page.goto(
      `${inject('storybookUrl')}/iframe.html?id=seqline-orderedmessagelist--${story}&viewMode=story`,
    );
    await expect.poll(() => inState(page), { timeout: 10_000, interval: 25 }).toBe(true);
    const reached = await page.evaluate(() => performance.now());
    if (story === 'loading') {
      // The stream opens after the history's first page, so it can start after it; this
      // history never comes, so the stream must not open (it would ask for everything).
      await page.waitForTimeout(500);
      expect(await page.locator('[data-stream-status="open"]').count()).toBe(0);
    } else {
      await page.locator('[data-stream-status="open"]').waitFor({ timeout: 10_000 });
    }
    const seen = await page.evaluate(
      () => (window as unknown as { __seen: Record<string, number> }).__seen,
    );
    // Printed, not asserted (no timing assertions in tests): the time to the state is
    // page load + msw's worker start (rendered), then the story's own (state - rendered).
    const ms = (value: number | undefined) => `${Math.round(value ?? Number.NaN)} ms`;
    console.info(
      `${story}: rendered ${ms(seen.rendered)}, stream live ${ms(seen.live)}, in its state by ${ms(reached)} after navigation`,
    );
    await page.waitForTimeout(1500);
    expect(await inState(page)).toBe(true);
    const dir = process.env.SEQLINE_SCREENSHOT_DIR;
    if (dir) await page.screenshot({ path: join(dir, `${story}.png`) });
    await page.close();
    expect(errors, errors.join('\n')).toEqual([]);
  },
);

it('publishes only the msw worker from public/', () => {
  const root = join(import.meta.dirname, '../..');
  expect(readdirSync(join(root, 'public'))).toEqual(['mockServiceWorker.js']);
  const built = new Set(readdirSync(join(root, 'storybook-static')));
  expect(built.has('mockServiceWorker.js')).toBe(true);
  expect(built.has('biome.json')).toBe(false);
});
