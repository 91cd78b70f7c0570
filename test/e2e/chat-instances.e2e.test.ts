/**
 * `npm run demo -- --instances 2`: two server processes (nothing shared but
 * Postgres and the bus) behind the demo's round-robin front, in Chromium.
 * On the Redis bus and on the Postgres bus: rapid sends while replies stream
 * equal the database's order after a reload, and an instance killed
 * mid-reply (the one serving the page's stream and generating the reply)
 * leaves the page reconnected to the other, which finishes the reply.
 */
import { execFile } from 'node:child_process';
import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../support/services';
import { launchChromium, openConversation, shownRows, waitForSettled } from './support/browser';
import { expectRapidSendsSurviveReload, expectSameAsDatabase } from './support/chatSuite';
import {
  type Backend,
  type DemoProcess,
  postgresBackend,
  ROOT,
  redisPostgresBackend,
  startDemo,
  storedMessages,
} from './support/demo';

const postgres = await requireService('postgres');
const redis = await requireService('redis');

it('--instances 2 on the default SQLite file is refused with a clear message', async () => {
  const { DATABASE_URL: _, ...env } = process.env;
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', 'examples/chat/server/main.ts', '--instances', '2'],
      { cwd: ROOT, env, timeout: 30_000 },
      (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }),
    );
  });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/--instances 2 needs a database .*DATABASE_URL=postgres:\/\//);
});

const variants: {
  bus: 'redis' | 'postgres';
  backend: Backend;
  how: string;
  args: string[];
  env: Record<string, string>;
}[] = [
  {
    bus: 'redis',
    backend: redisPostgresBackend(),
    how: '--instances 2 --bus redis',
    args: ['--instances', '2', '--bus', 'redis'],
    env: {},
  },
  {
    // The environment form, and the default bus without REDIS_URL.
    bus: 'postgres',
    backend: postgresBackend(),
    how: 'DEMO_INSTANCES=2',
    args: [],
    env: { DEMO_INSTANCES: '2' },
  },
];

for (const variant of variants) {
  const ready = postgres && (variant.bus !== 'redis' || redis);
  describe.runIf(ready)(`demo as 2 instances on the ${variant.bus} bus (${variant.how})`, () => {
    const { backend } = variant;
    let browser: Browser;
    let demo: DemoProcess;
    let instances: { name: string; url: string; pid: number }[];
    const run = Date.now().toString(36);

    beforeAll(async () => {
      [browser, demo] = await Promise.all([
        launchChromium(),
        startDemo(backend, { args: variant.args, env: variant.env, startTimeout: 60_000 }),
      ]);
      instances = [
        ...demo.output().matchAll(/^ {2}instance (\d+): (http:\S+) \(pid (\d+)\)$/gm),
      ].map((m) => ({ name: m[1]!, url: m[2]!, pid: Number(m[3]) }));
    });
    afterAll(async () => {
      await browser?.close();
      await demo?.stop();
    });

    it('starts two processes behind the front, each on the chosen bus', async () => {
      expect(instances.map((i) => i.name)).toEqual(['1', '2']);
      expect(new Set(instances.map((i) => i.pid)).size).toBe(2);
      expect(demo.output()).toMatch(new RegExp(`^ {2}bus: +${variant.bus} `, 'm'));
      for (const instance of instances) {
        const health = (await (await fetch(`${instance.url}api/health`)).json()) as Record<
          string,
          string
        >;
        expect(health).toMatchObject({
          engine: 'postgres',
          bus: variant.bus,
          instance: instance.name,
        });
      }
      // The front alternates, request by request.
      const served = [];
      for (let i = 0; i < 4; i++)
        served.push((await fetch(`${demo.url}api/health`)).headers.get('x-seqline-instance'));
      expect(served.slice(0, 2).sort()).toEqual(['1', '2']);
      expect(served.slice(2)).toEqual(served.slice(0, 2));
    });

    it('20 rapid sends while replies stream, spread over both instances: after a reload the page equals the database order', async () => {
      const conversationId = `multi-${variant.bus}-${run}`;
      const page = await browser.newPage();
      const traffic = track(page, conversationId);
      await openConversation(page, demo.url, conversationId);
      await expectRapidSendsSurviveReload(page, backend, conversationId);
      // Both instances took POSTs (each runs the generator of the replies it created), while
      // the page's stream was on one of them: replies crossed instances through the bus.
      expect(new Set(traffic.posts)).toEqual(new Set(['1', '2']));
      expect(traffic.streams.length).toBeGreaterThanOrEqual(2);
      await page.close();
    });

    it('the same with the demo chaos on: stored in send order across both instances', async () => {
      const conversationId = `multi-chaos-${variant.bus}-${run}`;
      const page = await browser.newPage();
      const traffic = track(page, conversationId);
      await openConversation(page, demo.url, conversationId);
      await expectRapidSendsSurviveReload(page, backend, conversationId, { chaos: true });
      expect(new Set(traffic.posts)).toEqual(new Set(['1', '2']));
      await page.close();
    });

    it('the instance serving the stream and generating the reply is killed mid-reply: the page reconnects through the front to the other, which finishes the reply', async () => {
      const conversationId = `kill-${variant.bus}-${run}`;
      const page = await browser.newPage();
      const traffic = track(page, conversationId);
      await openConversation(page, demo.url, conversationId);
      const input = page.getByRole('textbox', { name: 'Message' });
      const send = page.getByRole('button', { name: 'Send', exact: true });

      // Send until a POST lands on the instance that holds the page's stream (the front
      // alternates, so this takes one or two sends): then one kill takes both away.
      let target: string | undefined;
      let reply: { id: string } | undefined;
      let turns = 0;
      for (let attempt = 1; attempt <= 6 && !target; attempt++) {
        const streamOn = traffic.streams.at(-1);
        const posted = page.waitForResponse(
          (r) => r.request().method() === 'POST' && r.url().endsWith(`/${conversationId}/messages`),
        );
        await input.fill(`question ${attempt}`);
        await send.click();
        const response = await posted;
        turns++;
        if (response.headers()['x-seqline-instance'] === streamOn) {
          target = streamOn;
          reply = ((await response.json()) as { reply: { id: string } }).reply;
        } else {
          await waitForSettled(page, turns * 2);
        }
      }
      expect(target).toBeDefined();
      const killed = instances.find((i) => i.name === target)!;
      const survivor = instances.find((i) => i.name !== target)!;

      await page.waitForFunction(
        (id) => {
          const row = document.querySelector<HTMLElement>(`[data-id="${id}"]`);
          return row?.dataset.status === 'streaming' && (row.textContent ?? '').length > 10;
        },
        reply!.id,
        { polling: 20, timeout: 20_000 },
      );
      const reconnected = page.waitForResponse(
        (r) =>
          isStream(r.url(), conversationId) && r.headers()['x-seqline-instance'] === survivor.name,
        { timeout: 20_000 },
      );
      process.kill(killed.pid, 'SIGKILL');
      const shownAtKill = (await shownRows(page)).find((row) => row.id === reply!.id)!;
      const storedAtKill = (await storedMessages(backend, conversationId)).find(
        (m) => m.id === reply!.id,
      )!;
      expect(['pending', 'streaming']).toContain(storedAtKill.status);
      await demo.waitForOutput(new RegExp(`instance ${killed.name} exited \\(SIGKILL\\)`));

      // The page resumed its stream on the survivor, from the cursor the killed one gave it.
      const resumed = await reconnected;
      // <watermark>.<bus position>[.<open replies the client holds>].<check> (docs/bus.md)
      expect(resumed.request().headers()['last-event-id']).toMatch(
        /^\d+\.[^.]+(\.[^.]+)?\.[0-9a-f]{8}$/,
      );
      // The survivor claimed the orphaned reply and streams it on from the stored offset.
      await demo.waitForOutput(
        new RegExp(`^\\[${survivor.name}\\] \\[chat\\] took over reply ${reply!.id} `, 'm'),
      );
      const rows = await waitForSettled(page, turns * 2);
      expectSameAsDatabase(rows, await storedMessages(backend, conversationId));
      const finished = rows.find((row) => row.id === reply!.id)!;
      expect(finished.content.startsWith(shownAtKill.content)).toBe(true);
      expect(finished.content.startsWith(storedAtKill.content)).toBe(true);
      expect(finished.content.length).toBeGreaterThan(shownAtKill.content.length);

      // Everything now goes to the survivor, and the page goes on working.
      const posted = page.waitForResponse(
        (r) => r.request().method() === 'POST' && r.url().endsWith(`/${conversationId}/messages`),
      );
      await input.fill('still there?');
      await send.click();
      expect((await posted).headers()['x-seqline-instance']).toBe(survivor.name);
      expectSameAsDatabase(
        await waitForSettled(page, turns * 2 + 2),
        await storedMessages(backend, conversationId),
      );
      await page.close();
    });

    it('Ctrl-C stops the front and every instance', async () => {
      expect(await demo.stop()).toBe(0);
      expect(demo.output()).toMatch(/all stopped/);
      for (const instance of instances) expect(alive(instance.pid)).toBe(false);
    });
  });
}

// ---------------------------------------------------------------------------

/** A stream request of the conversation; the client adds `?after=` (where its history ends). */
function isStream(url: string, conversationId: string): boolean {
  return new URL(url).pathname.endsWith(`/${conversationId}/stream`);
}

/** The instance (x-seqline-instance) that answered each POST and each stream connection, in order. */
function track(page: Page, conversationId: string): { posts: string[]; streams: string[] } {
  const traffic = { posts: [] as string[], streams: [] as string[] };
  page.on('response', (response: Response) => {
    const instance = response.headers()['x-seqline-instance'];
    if (!instance) return;
    if (isStream(response.url(), conversationId)) traffic.streams.push(instance);
    else if (
      response.request().method() === 'POST' &&
      response.url().endsWith(`/${conversationId}/messages`)
    ) {
      traffic.posts.push(instance);
    }
  });
  return traffic;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
