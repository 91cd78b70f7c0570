/**
 * The Next.js example (examples/next) in the e2e suite: `next build` / `next start` /
 * `next dev` as child processes, on a private PostgreSQL schema, and the browser steps the
 * tests share.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { asc, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { messages } from '../../../examples/next/db/schema';
import { POSTGRES_URL } from '../../support/services';
import { launchChromium } from './browser';
import { freePort } from './demo';

export const ROOT_DIR = fileURLToPath(new URL('../../../', import.meta.url));
export const NEXT_APP_DIR = fileURLToPath(new URL('../../../examples/next/', import.meta.url));
const NEXT_BIN = fileURLToPath(
  new URL('../../../node_modules/next/dist/bin/next', import.meta.url),
);

/** A schema of its own in the test database, dropped with everything in it. */
export interface PrivateSchema {
  /** DATABASE_URL for the app: the test database with this schema first on the search_path. */
  url: string;
  /** The conversation's messages read with the app's Drizzle schema, by sequence. */
  rows(conversationId: string): Promise<(typeof messages.$inferSelect)[]>;
  drop(): Promise<void>;
}

export async function createPrivateSchema(): Promise<PrivateSchema> {
  const name = `seqline_next_${randomBytes(4).toString('hex')}`;
  const url = `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${name}`)}`;
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  await pool.query(`CREATE SCHEMA ${name}`);
  const db = drizzle(pool);
  return {
    url,
    rows: (conversationId) =>
      db
        .select()
        .from(messages)
        .where(eq(messages.conversationId, conversationId))
        .orderBy(asc(messages.sequence)),
    async drop() {
      await pool.query(`DROP SCHEMA ${name} CASCADE`);
      await pool.end();
    },
  };
}

export interface NextProcess {
  url: string;
  /** Everything it printed. */
  output(): string;
  /** Stops it and every process it started (its process group), by its pid. */
  stop(): Promise<void>;
}

/** Runs `next <command>` and waits for it to exit 0 (a build). */
export async function runNext(cwd: string, args: string[], timeoutMs: number): Promise<string> {
  const child = spawnNext(cwd, args, {});
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`next ${args.join(' ')} exited with ${code}:\n${output}`);
  return output;
}

/** Starts `next start` or `next dev` on a free port and waits until it answers. */
export async function startNext(
  cwd: string,
  command: 'start' | 'dev',
  env: Record<string, string>,
): Promise<NextProcess> {
  const port = await freePort();
  const child = spawnNext(cwd, [command, '--port', String(port), '--hostname', '127.0.0.1'], env);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    // next dev forks its server: whatever of the group is still there goes too.
    killGroup(child, 'SIGKILL');
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(async () => (await fetch(url, { signal: AbortSignal.timeout(5000) })).ok, 90_000);
  } catch (error) {
    await stop();
    throw new Error(`next ${command} did not answer at ${url}: ${String(error)}\n${output}`);
  }
  return { url, output: () => output, stop };
}

/** The example running on a private schema, with a Chromium page signed in as alice. */
export interface ExampleRun {
  schema: PrivateSchema;
  server: NextProcess;
  browser: Browser;
  page: Page;
  /** Closes the browser, stops the server and drops the schema. */
  close(): Promise<void>;
}

/** Starts the app in `appDir` (`next start` after a build, or `next dev`) and a browser. */
export async function runExample(
  appDir: string,
  command: 'start' | 'dev',
  pageTimeoutMs: number,
): Promise<ExampleRun> {
  const schema = await createPrivateSchema();
  let server: NextProcess | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await server?.stop();
    await schema.drop();
  };
  try {
    server = await startNext(appDir, command, { DATABASE_URL: schema.url });
    browser = await launchChromium();
    const page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(pageTimeoutMs);
    await signIn(page, server.url, 'alice');
    return { schema, server, browser, page, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A browser page of one conversation, signed in as `user` (the example's demo cookie). */
export async function signIn(page: Page, url: string, user: string): Promise<void> {
  await page.context().addCookies([{ name: 'user', value: user, url }]);
}

/** Opens the conversation and waits for its stream to be live. */
export async function openChat(page: Page, url: string, conversationId: string): Promise<void> {
  await page.goto(`${url}/c/${conversationId}`);
  await page.getByTestId('stream-status').filter({ hasText: 'live' }).waitFor();
}

/** Types a message and sends it with the form. */
export async function sendText(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

/** Waits until the reply to `prompt` is shown complete, as the example's echo writes it. */
export async function waitForReply(page: Page, reply: string, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    (expected) =>
      [...document.querySelectorAll<HTMLElement>('[data-testid="message"]')].some(
        (row) =>
          row.dataset.role === 'assistant' &&
          row.dataset.status === 'complete' &&
          row.querySelector('.content')?.textContent === expected,
      ),
    reply,
    { timeout, polling: 100 },
  );
}

// ---------------------------------------------------------------------------

function spawnNext(cwd: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [NEXT_BIN, ...args], {
    cwd,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stop() reaches the workers it forks.
    detached: true,
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // Already gone.
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw last ?? new Error('timed out');
}
