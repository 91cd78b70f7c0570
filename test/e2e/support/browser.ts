/** Headless Debian Chromium through playwright-core (no browser download). */
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../support/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** One rendered row, as the test compares them. */
export interface ShownRow {
  key: string;
  id: string;
  sequence: number | null;
  role: string;
  status: string;
  content: string;
}

/** The rows of the message list, top to bottom. */
export function shownRows(page: Page): Promise<ShownRow[]> {
  return page.$$eval('[data-testid="message"]', (rows) =>
    rows.map((row) => {
      const el = row as HTMLElement;
      return {
        key: el.dataset.key ?? '',
        id: el.dataset.id ?? '',
        sequence: el.dataset.sequence ? Number(el.dataset.sequence) : null,
        role: el.dataset.role ?? '',
        status: el.dataset.status ?? '',
        content: el.querySelector('.content')?.textContent ?? '',
      };
    }),
  );
}

/** Waits until the page shows `count` rows, all confirmed and complete. */
export async function waitForSettled(
  page: Page,
  count: number,
  timeout = 60_000,
): Promise<ShownRow[]> {
  await page.waitForFunction(
    (expected) => {
      const rows = [...document.querySelectorAll<HTMLElement>('[data-testid="message"]')];
      return (
        rows.length === expected &&
        rows.every((row) => row.dataset.status === 'complete' && row.dataset.sequence !== '')
      );
    },
    count,
    { timeout, polling: 100 },
  );
  return shownRows(page);
}

export async function openConversation(page: Page, url: string, conversationId: string) {
  await page.goto(`${url}#/c/${conversationId}`);
  await page.getByTestId('stream-status').filter({ hasText: 'live' }).waitFor({ timeout: 20_000 });
}
