// `npm run demo`: seqline in 30 seconds, on an embedded SQLite file.
// It imports seqline by its package name, exactly as an app would.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { applyStreamEvent, createTimeline, mergeMessages } from 'seqline';
import { createSqlAllocator } from 'seqline/sql';

const WRITERS = 16;
const MESSAGES_EACH = 25;
const dir = mkdtempSync(join(tmpdir(), 'seqline-demo-'));
const db = new Database(join(dir, 'chat.db'));
db.exec(`CREATE TABLE messages (conversation_id TEXT, sequence INTEGER, writer INTEGER)`);
const tick = () => new Promise((resolve) => setImmediate(resolve));

console.log(
  `\n1. ${WRITERS} concurrent writers, ${MESSAGES_EACH} messages each, one conversation\n`,
);

async function maxPlusOne(writer) {
  for (let i = 0; i < MESSAGES_EACH; i++) {
    const { next } = db
      .prepare(
        `SELECT COALESCE(MAX(sequence), 0) + 1 AS next FROM messages WHERE conversation_id = 'a'`,
      )
      .get();
    await tick(); // any await between the read and the insert (an async driver, an ORM) lets another writer in
    db.prepare(`INSERT INTO messages VALUES ('a', ?, ?)`).run(next, writer);
  }
}
await Promise.all(Array.from({ length: WRITERS }, (_, w) => maxPlusOne(w)));
report('SELECT MAX(sequence) + 1', 'a');

const allocator = createSqlAllocator({ dialect: 'sqlite', client: db });
await allocator.ensureSchema();
async function withAllocator(writer) {
  for (let i = 0; i < MESSAGES_EACH; i++) {
    const sequence = await allocator.next('b');
    await tick();
    db.prepare(`INSERT INTO messages VALUES ('b', ?, ?)`).run(sequence, writer);
  }
}
await Promise.all(Array.from({ length: WRITERS }, (_, w) => withAllocator(w)));
report('createSqlAllocator (seqline/sql)', 'b');

function report(label, conversation) {
  const { rows, uniq, max } = db
    .prepare(
      `SELECT COUNT(*) AS rows, COUNT(DISTINCT sequence) AS uniq, MAX(sequence) AS max FROM messages WHERE conversation_id = ?`,
    )
    .get(conversation);
  const verdict =
    uniq === rows && max === rows ? `exactly 1..${rows}` : `${rows - uniq} duplicated`;
  console.log(
    `   ${label.padEnd(34)} ${String(rows).padStart(4)} rows, ${String(uniq).padStart(4)} distinct sequences: ${verdict}`,
  );
}

console.log(
  '\n2. A prompt and its streamed reply, delivered out of order (reply created 1 ms earlier)\n',
);
const at = (ms) => `2026-01-01T12:00:00.${String(ms).padStart(3, '0')}123Z`;
const prompt = {
  id: 'u1',
  clientId: 'c1',
  conversationId: 'demo',
  sequence: 1,
  createdAt: at(5),
  role: 'user',
  content: 'Why is the sky blue?',
  status: 'complete',
};
const reply = {
  id: 'a1',
  conversationId: 'demo',
  sequence: 2,
  createdAt: at(4),
  role: 'assistant',
  content: '',
  status: 'pending',
};
const events = [
  { type: 'delta', messageId: 'a1', offset: 9, text: 'scattering.' }, // ahead of the content: waits
  { type: 'message', message: reply },
  { type: 'delta', messageId: 'a1', offset: 0, text: 'Rayleigh ' },
  { type: 'status', messageId: 'a1', status: 'complete' },
  { type: 'delta', messageId: 'a1', offset: 0, text: 'Rayleigh ' }, // a replay after a reconnect
  { type: 'message', message: prompt }, // the POST's echo arrives last
];
let timeline = createTimeline('demo');
for (const event of events) timeline = applyStreamEvent(timeline, event);
timeline = mergeMessages(timeline, [prompt, { ...reply, content: 'Ray', status: 'streaming' }]); // a stale refetch

const byCreatedAt = [...timeline.messages].sort((x, y) => x.createdAt.localeCompare(y.createdAt));
console.log(
  '   ordered by createdAt:',
  byCreatedAt.map((m) => `${m.role}`).join(' → '),
  '  (wrong)',
);
console.log('   seqline timeline:    ', timeline.messages.map((m) => `${m.role}`).join(' → '));
for (const m of timeline.messages)
  console.log(
    `     #${m.sequence} ${m.role.padEnd(9)} ${m.status.padEnd(8)} ${JSON.stringify(m.content)}`,
  );

db.close();
rmSync(dir, { recursive: true, force: true });
console.log(
  '\nNext: README.md shows the allocators, the timeline and the guarantees of each backend.\n',
);
