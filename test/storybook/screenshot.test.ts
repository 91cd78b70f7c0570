/**
 * The screenshot check (issue 6): the BUILT Storybook (storybook-static,
 * served by buildStorybook.ts) in headless Chromium. It opens the race
 * story, switches on every chaos control in the Controls panel, sends
 * messages, refetches and refreshes, and asserts that the rendered order is
 * the mock server's sequence order. The server's truth is read from the
 * page through `window.__seqlineMock` (stories/support/mockServer.ts).
 *
 * SEQLINE_SCREENSHOT=path.png saves a screenshot of the page to look at.
 */
import { type Browser, chromium, type Frame, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';

let browser: Browser;
let page: Page;

beforeAll(async () => {
  const { path, args } = inject('chromium');
  browser = await chromium.launch({ executablePath: path, args });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
});

const CHAOS = ['echoBeforeResponse', 'duplicates', 'drops', 'staleHistory', 'reorder'] as const;

it('keeps the server’s sequence order with every chaos control on, across sends, refetches and a refresh', async () => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${inject('storybookUrl')}/?path=/story/seqline-races--playground`);
  const preview = await previewFrame(page);
  await preview.locator('[data-sequence]').nth(1).waitFor();

  // Every chaos control on, through the Controls panel as a designer would.
  for (const name of CHAOS) {
    const toggle = page.locator(`#control-${name}`);
    await page.locator(`label[for="control-${name}"]`).click(); // the switch; its input is hidden
    await expect.poll(() => toggle.isChecked()).toBe(true);
  }
  const latency = page.locator('#control-latency');
  await latency.focus();
  await latency.press('End'); // the slider's maximum
  for (let i = 0; i < 30; i++) await latency.press('ArrowLeft'); // 500 → 200 ms
  await expect
    .poll(() => preview.evaluate(() => currentServer().chaos))
    .toEqual({
      echoBeforeResponse: true,
      duplicates: true,
      drops: true,
      staleHistory: true,
      reorder: true,
      latency: [0, 200],
    });

  // Race: a burst of five and one typed message. Nothing refetches history here,
  // so the replies' text can only come through the (chaotic) stream.
  await preview.getByRole('button', { name: 'Send 5 at once' }).click();
  await preview.getByRole('textbox', { name: 'Message' }).fill('Typed during the burst');
  await preview.getByRole('button', { name: 'Send', exact: true }).click();
  await expectRenderedOrderIsServerOrder(preview, 2 + 6 * 2);

  const screenshot = process.env.SEQLINE_SCREENSHOT;
  if (screenshot) await page.screenshot({ path: screenshot });

  // Stale refetches (older snapshots, half the time) must not take anything back.
  for (let i = 0; i < 3; i++) {
    await preview.getByRole('button', { name: 'Refetch history' }).click();
    await page.waitForTimeout(250);
  }
  await expectRenderedOrderIsServerOrder(preview, 2 + 6 * 2);

  // A refresh: a fresh QueryClient loads (possibly stale) history and resumes the stream.
  await preview.getByRole('button', { name: 'Refresh' }).click();
  await expectRenderedOrderIsServerOrder(preview, 2 + 6 * 2);
  expect(errors).toEqual([]);
});

/** The story's iframe, once the story is on screen. */
async function previewFrame(page: Page): Promise<Frame> {
  const element = await page.waitForSelector('#storybook-preview-iframe');
  const frame = await element.contentFrame();
  if (!frame) throw new Error('no preview frame');
  await frame.waitForSelector('[data-conversation-id]');
  // A page-side helper for the evaluate calls below; the iframe survives the story's Refresh.
  await frame.evaluate(() => {
    type Registry = { servers: Map<string, unknown> };
    Object.assign(window, {
      currentServer() {
        const id =
          document.querySelector<HTMLElement>('[data-conversation-id]')?.dataset.conversationId;
        const registry = (window as unknown as { __seqlineMock?: Registry }).__seqlineMock;
        const server = id ? registry?.servers.get(id) : undefined;
        if (!server) throw new Error(`no mock server for conversation ${id}`);
        return server;
      },
    });
  });
  return frame;
}

/**
 * Waits until the server stored `count` messages and finished every reply,
 * then until the list shows exactly them: same ids, sequences, content and
 * status, in sequence order.
 */
async function expectRenderedOrderIsServerOrder(preview: Frame, count: number) {
  await expect
    .poll(() => preview.evaluate(() => currentServer().truth().length), { timeout: 30_000 })
    .toBe(count);
  await preview.evaluate(() => currentServer().idle());
  const truth = await preview.evaluate(() =>
    currentServer()
      .truth()
      .map((m) => ({ id: m.id, sequence: m.sequence, content: m.content, status: m.status })),
  );
  expect(truth.map((m) => m.sequence)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  expect(truth.every((m) => m.status === 'complete')).toBe(true);
  await expect
    .poll(
      () =>
        preview.evaluate(() =>
          [...document.querySelectorAll<HTMLElement>('.seqline-chat__list [data-message-key]')].map(
            (row) => ({
              id: row.dataset.messageId,
              sequence: Number(row.dataset.sequence),
              content: row.querySelector('.seqline-row__content')?.textContent,
              status: row.dataset.status,
            }),
          ),
        ),
      { timeout: 30_000, interval: 100 },
    )
    .toEqual(truth);
}

/** Runs in the page: the mock server of the story on screen. */
declare function currentServer(): {
  chaos: unknown;
  truth(): Array<{ id: string; sequence: number | null; content: string; status: string }>;
  idle(): Promise<void>;
};
