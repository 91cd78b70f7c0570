/**
 * Chromium's native `EventSource` resumes across a `kill -9` of the server
 * (issue 15). The server is its own process (test/support/resume-server.ts:
 * `createMessageRoutes` on a Postgres message store and a Postgres or Redis
 * bus) and serves the page. It is killed mid-reply at a moment the stored
 * reply is behind what the page holds, and restarted on the same port. It
 * finishes the reply from the stored content only once the page is back,
 * so the page's resume meets a stored snapshot shorter than its
 * `Last-Event-ID`. The page applies events exactly as docs/protocol.md
 * words them (a snapshot replaces, test/support/literalClient.ts), and must
 * end with exactly the stored text.
 */
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killBusServers } from '../support/bus-server';
import type { LiteralMessage } from '../support/literalClient';
import { startResumeRun, until } from '../support/resume-server';
import { requireService } from '../support/services';
import { launchChromium } from './support/browser';

const [redis, postgres] = await Promise.all([requireService('redis'), requireService('postgres')]);
const cleanup: (() => unknown)[] = [];
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await killBusServers();
  for (const step of cleanup.reverse()) await step();
});

interface PageState {
  messages: LiteralMessage[];
  problems: string[];
  opens: number;
}

describe.runIf(redis && postgres)("Chromium's EventSource resumes across a server kill", () => {
  it.each(['postgres', 'redis'] as const)(
    'on the %s bus: the final text equals storage, no snapshot goes back',
    async (bus) => {
      const run = await startResumeRun(bus, cleanup);
      const conversationId = randomUUID();
      const page = await browser.newPage();
      cleanup.push(() => page.close());
      const resumedFrom: Promise<string | undefined>[] = [];
      let streams = 0;
      // Each stream the server answered (attempts while it was down get no response).
      page.on('response', (response) => {
        if (!response.url().endsWith('/stream') || ++streams === 1) return;
        // allHeaders(): the ones the network stack adds too, as Last-Event-ID is.
        resumedFrom.push(
          response
            .request()
            .allHeaders()
            .then((headers) => headers['last-event-id']),
        );
      });
      await page.goto(`${run.url}/?c=${conversationId}`);
      const state = () =>
        page.evaluate(() => (window as unknown as { resume(): PageState }).resume());
      await until(async () => (await state()).opens === 1, 'the page to connect');
      const replyId = await run.send(conversationId);
      const shown = async () => (await state()).messages.find((m) => m.id === replyId);

      const behind = await run.killWhileBehind(
        replyId,
        async () => (await shown())?.content.length ?? 0,
      );
      await until(
        async () => (await shown())?.status === 'complete',
        'the reply to complete in the page',
        60_000,
      );

      const final = await run.stored(replyId);
      expect((await state()).problems).toEqual([]);
      expect((await shown())?.content).toBe(final);
      expect(final).toBe(run.expected);
      // It resumed with its Last-Event-ID (the stored reply still as the kill left it: behind the page).
      expect(resumedFrom.length).toBeGreaterThan(0);
      for (const id of await Promise.all(resumedFrom)) expect(id).toMatch(/^\d+\./);
      console.info(
        `[resume] Chromium on the ${bus} bus: killed with ${behind.held} characters in the page, ${behind.stored} stored; ${resumedFrom.length} reconnect request(s)`,
      );
    },
  );
});
