/**
 * The demo's SQLite data folder is per user: two users (two HOMEs) on one
 * machine get two databases, each printed at start, and `--reset` empties
 * one's own. Against the real server process, as `npm run demo` starts it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { demoDataDir } from '../../examples/chat/server/dataDir';
import { type Backend, startDemo } from './support/demo';

const homes = [1, 2].map(() => mkdtempSync(join(tmpdir(), 'seqline-home-')));
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

/** A user with only a HOME: no DATA_DIR, no XDG_CACHE_HOME (empty means unset). */
const user = (home: string): Backend => ({
  name: `home ${home}`,
  env: { HOME: home, DATA_DIR: '', XDG_CACHE_HOME: '' },
  services: [],
});

async function sendAndList(url: string, content: string) {
  const api = `${url}api/conversations/mine/messages`;
  if (content) {
    const response = await fetch(api, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: `k-${content}`, role: 'user', content }),
    });
    expect(response.status).toBe(201);
  }
  const { messages } = (await (await fetch(api)).json()) as {
    messages: { role: string; content: string }[];
  };
  return messages.filter((m) => m.role === 'user').map((m) => m.content);
}

it('two HOMEs keep two databases, each under its own cache folder, printed at start', async () => {
  const [a, b] = homes as [string, string];
  const first = await startDemo(user(a), { env: { TOKEN_DELAY_MS: '1' } });
  try {
    expect(first.output()).toContain(
      `storage:    sqlite ${join(a, '.cache', 'seqline-chat-demo', 'chat.db')}`,
    );
    expect(first.output()).toContain('npm run demo -- --reset');
    expect((await sendAndList(first.url, 'from A')).includes('from A')).toBe(true);
  } finally {
    await first.stop();
  }

  const second = await startDemo(user(b), { env: { TOKEN_DELAY_MS: '1' } });
  try {
    expect(second.output()).toContain(
      `sqlite ${join(b, '.cache', 'seqline-chat-demo', 'chat.db')}`,
    );
    // B does not see A's conversation, nor resume A's replies.
    expect(await sendAndList(second.url, '')).toEqual([]);
    expect(second.output()).not.toMatch(/resumed/);
  } finally {
    await second.stop();
  }
  expect(existsSync(join(a, '.cache', 'seqline-chat-demo', 'chat.db'))).toBe(true);
  expect(existsSync(join(b, '.cache', 'seqline-chat-demo', 'chat.db'))).toBe(true);

  // A again: still A's messages; then --reset starts A over.
  const again = await startDemo(user(a));
  try {
    expect(await sendAndList(again.url, '')).toContain('from A');
  } finally {
    await again.stop();
  }
  const reset = await startDemo(user(a), { args: ['--reset'] });
  try {
    expect(await sendAndList(reset.url, '')).toEqual([]);
  } finally {
    await reset.stop();
  }
});

it('starts cleanly on a file an earlier demo wrote: its seqline_demo_* tables are neither read nor changed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'seqline-old-'));
  homes.push(dir);
  const file = join(dir, 'chat.db');
  // The earlier demo's own schema (with reply_to), a turn whose reply never finished, and its counter.
  const old = new Database(file);
  old.exec(/* sql */ `
    CREATE TABLE seqline_demo_messages (id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL,
      sequence INTEGER NOT NULL, client_id TEXT, role TEXT NOT NULL, content TEXT NOT NULL,
      status TEXT NOT NULL, error TEXT, reply_to TEXT, created_at TEXT NOT NULL,
      UNIQUE (conversation_id, sequence), UNIQUE (conversation_id, client_id));
    CREATE TABLE seqline_demo_counters (scope TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO seqline_demo_messages VALUES
      ('old-1', 'mine', 1, 'k-old', 'user', 'from the old demo', 'complete', NULL, NULL, '2025-01-01T00:00:00.000Z'),
      ('old-2', 'mine', 2, NULL, 'assistant', 'half a rep', 'streaming', NULL, 'old-1', '2025-01-01T00:00:00.000Z');
    INSERT INTO seqline_demo_counters VALUES ('mine', 2);`);
  const before = old.prepare('SELECT * FROM seqline_demo_messages ORDER BY sequence').all();
  old.close();

  const demo = await startDemo(
    { name: 'old file', env: { DATA_DIR: dir }, services: [] },
    { env: { TOKEN_DELAY_MS: '1' } },
  );
  try {
    expect(demo.output()).not.toMatch(/unfinished/);
    expect(await sendAndList(demo.url, 'new')).toEqual(['new']);
    const { messages } = (await (
      await fetch(`${demo.url}api/conversations/mine/messages`)
    ).json()) as { messages: { sequence: number }[] };
    expect(messages.map((m) => m.sequence)).toEqual([1, 2]);
  } finally {
    await demo.stop();
  }
  const after = new Database(file, { readonly: true });
  try {
    expect(after.prepare('SELECT * FROM seqline_demo_messages ORDER BY sequence').all()).toEqual(
      before,
    );
  } finally {
    after.close();
  }
});

it('picks the platform cache folder, DATA_DIR first', () => {
  expect(demoDataDir({ DATA_DIR: '/data' }, 'linux', '/home/u')).toBe('/data');
  expect(demoDataDir({}, 'linux', '/home/u')).toBe('/home/u/.cache/seqline-chat-demo');
  expect(demoDataDir({ XDG_CACHE_HOME: '/xdg' }, 'linux', '/home/u')).toBe(
    '/xdg/seqline-chat-demo',
  );
  // A relative XDG_CACHE_HOME is ignored, as the XDG spec says.
  expect(demoDataDir({ XDG_CACHE_HOME: 'rel' }, 'linux', '/home/u')).toBe(
    '/home/u/.cache/seqline-chat-demo',
  );
  expect(demoDataDir({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Caches/seqline-chat-demo');
});
