/**
 * The README's `sendTurn` example, run as written in a child process against
 * the real Postgres, while its backend is terminated mid-transaction
 * (`pg_terminate_backend`, as a failover or an admin would). The call must
 * reject, and the process must live on: a checked-out pg client with no
 * 'error' listener would end it.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, requireService } from '../support/services';

const postgres = await requireService('postgres');
const ROOT = new URL('../../', import.meta.url);
const DIR = new URL('.tmp/', ROOT);

/** The README's PostgreSQL example, with its imports pointed at the sources. */
function readmeExample(): string {
  const readme = readFileSync(new URL('README.md', ROOT), 'utf8');
  const section = readme.slice(readme.indexOf('### PostgreSQL: allocate inside'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block?.includes('export async function sendTurn')) throw new Error('sendTurn not found');
  return block.replace("from 'seqline/sql'", "from '../src/sql/index.ts'");
}

describe.runIf(postgres)('README sendTurn', () => {
  const table = `seqline_test_readme_${randomUUID().slice(0, 8)}`;
  afterAll(() => rmSync(DIR, { recursive: true, force: true }));

  it('rejects, without ending the process, when Postgres terminates its backend', async () => {
    mkdirSync(DIR, { recursive: true });
    const file = new URL(`readme-send-turn-${randomUUID()}.mts`, DIR);
    const conversationId = `readme-${randomUUID()}`;
    writeFileSync(
      file,
      `${readmeExample().replaceAll('messages', table).replace('client: pool })', `client: pool, table: '${table}_c' })`)}
await pool.query('CREATE TABLE IF NOT EXISTS ${table} (id uuid, conversation_id text, sequence bigint, client_id text, role text, content text, status text)');
console.log('ready');
const outcome = await sendTurn(${JSON.stringify(conversationId)}, 'k1', 'Hi').then(() => 'resolved', (e) => 'rejected: ' + e.message);
console.log(outcome);
setTimeout(() => { console.log('alive'); process.exit(0); }, 300);
`,
    );
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    const watcher = new pg.Client({ connectionString: POSTGRES_URL });
    await Promise.all([admin.connect(), watcher.connect()]);
    try {
      // Hold the conversation's counter row, so sendTurn waits inside its transaction.
      await admin.query(
        `CREATE TABLE IF NOT EXISTS ${table}_c (scope text PRIMARY KEY, value bigint NOT NULL)`,
      );
      await admin.query('BEGIN');
      await admin.query(`INSERT INTO ${table}_c VALUES ($1, 0)`, [conversationId]);
      const child = spawn(process.execPath, ['--import', 'tsx', file.pathname], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: POSTGRES_URL },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      const until = Date.now() + 20_000;
      let killed = 0;
      while (killed === 0 && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        // The backend waiting on our row lock is sendTurn's. Polled from outside the
        // transaction: pg_stat_activity is a snapshot that holds for a whole transaction.
        const { rows } = await watcher.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%${table}_c%' AND pid <> pg_backend_pid()`,
        );
        killed = rows.length;
      }
      await admin.query('ROLLBACK');
      const code = await exited;
      expect(killed, output).toBe(1);
      expect(output).toMatch(/rejected: /);
      expect(output).toMatch(/alive/);
      expect(code).toBe(0);
    } finally {
      await admin.query(`DROP TABLE IF EXISTS ${table}, ${table}_c`).catch(() => {});
      await Promise.all([admin.end(), watcher.end()]);
    }
  }, 60_000);
});
