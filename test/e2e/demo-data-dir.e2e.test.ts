/**
 * The demo's SQLite data folder is per user: two users (two HOMEs) on one
 * machine get two databases, each printed at start, and `--reset` empties
 * one's own. Against the real server process, as `npm run demo` starts it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
