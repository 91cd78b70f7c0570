/**
 * The Next.js example under `next dev`, edited while it runs (on a copy of the app, never
 * the repository's files): after an edit of the stream route, and after an edit of the
 * shared module (lib/seqline.ts), a send through the tRPC route still streams its reply.
 * `next dev` evaluates modules per route and again after each save; a bus created in a
 * module would be a different bus for the tRPC send and for the stream, and the reply would
 * never arrive. The example keeps its pool and bus on globalThis.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../support/services';
import {
  type ExampleRun,
  NEXT_APP_DIR,
  openChat,
  ROOT_DIR,
  runExample,
  sendText,
  waitForReply,
} from './support/next';

const postgres = await requireService('postgres');

describe.runIf(postgres)('examples/next: next dev, edited while it runs', () => {
  // Two levels under the repository, as examples/next is: its tsconfig paths to ../../src hold.
  const appDir = join(ROOT_DIR, '.tmp', `next-dev-${process.pid}`);
  let run: ExampleRun;

  const edit = (file: string, change: (source: string) => string) => {
    const path = join(appDir, file);
    const before = readFileSync(path, 'utf8');
    const after = change(before);
    expect(after).not.toBe(before);
    writeFileSync(path, after);
  };
  /** Waits until the dev server's output has `text` (printed when an edited module is evaluated). */
  const printed = async (text: string) => {
    await expect
      .poll(() => run.server.output(), { timeout: 120_000, interval: 250 })
      .toContain(text);
  };
  const sendAndStream = async (text: string, reply: string) => {
    await openChat(run.page, run.server.url, 'alice-dev');
    await sendText(run.page, text);
    await waitForReply(run.page, reply, 120_000);
  };

  beforeAll(async () => {
    rmSync(appDir, { recursive: true, force: true });
    cpSync(NEXT_APP_DIR, appDir, {
      recursive: true,
      filter: (source) => !/[/\\](\.next|next-env\.d\.ts)$/.test(source),
    });
    // next dev compiles each page and route on its first request: minutes on a loaded box.
    run = await runExample(appDir, 'dev', 240_000);
  }, 300_000);

  afterAll(async () => {
    await run?.close();
    rmSync(appDir, { recursive: true, force: true });
  });

  it('streams replies before and after editing the stream route and the shared module', async () => {
    await sendAndStream('before any edit', 'Echo: before any edit');

    edit('app/api/conversations/[id]/stream/route.ts', (source) =>
      source.replace(
        "export const dynamic = 'force-dynamic';",
        "export const dynamic = 'force-dynamic';\nconsole.log('[e2e] stream route, edit 1');",
      ),
    );
    await sendAndStream('after the route edit', 'Echo: after the route edit');
    await printed('[e2e] stream route, edit 1');

    edit('lib/seqline.ts', (source) =>
      source
        .replace('`Echo: $', '`Echo v2: $')
        .replace(
          'export const store',
          "console.log('[e2e] shared module, edit 2');\nexport const store",
        ),
    );
    // The new onMessage answers (the tRPC route runs the edited module) and its reply
    // reaches the stream (the bus survived the re-evaluation).
    await sendAndStream('after the module edit', 'Echo v2: after the module edit');
    await printed('[e2e] shared module, edit 2');

    const stored = await run.schema.rows('alice-dev');
    expect(stored.map((row) => [row.role, row.content, row.status])).toEqual([
      ['user', 'before any edit', 'complete'],
      ['assistant', 'Echo: before any edit', 'complete'],
      ['user', 'after the route edit', 'complete'],
      ['assistant', 'Echo: after the route edit', 'complete'],
      ['user', 'after the module edit', 'complete'],
      ['assistant', 'Echo v2: after the module edit', 'complete'],
    ]);
  }, 900_000);
});
