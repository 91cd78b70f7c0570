import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderBar, renderLine } from '../../src/cli/progress';
import { POSTGRES_URL, requireService } from '../support/services';

const online = await requireService('postgres');
const cli = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));
const run = (args: string[]) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', cli, ...args], {
    timeout: 30_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );

describe('progress rendering', () => {
  const p = {
    batch: 3,
    scopesDone: 6_000,
    scopesTotal: 10_000,
    rowsUpdated: 600_000,
    elapsedMs: 12_345,
  };
  it('draws a bar for a terminal and a plain line for logs', () => {
    expect(renderBar(p, 10)).toBe(
      '[██████░░░░]  60% 6,000/10,000 conversations · 600,000 rows · 12.3 s',
    );
    expect(renderLine(p)).toBe(
      'backfill: 60% 6,000/10,000 conversations · 600,000 rows · 12.3 s (batch 3)',
    );
    // One of each is singular.
    expect(renderLine({ ...p, scopesDone: 1, scopesTotal: 1, rowsUpdated: 1 })).toBe(
      'backfill: 100% 1/1 conversation · 1 row · 12.3 s (batch 3)',
    );
    // Scopes created by live writes during the run never push it past 100%.
    expect(renderBar({ ...p, scopesDone: 10_050 }, 10)).toMatch(
      /^\[██████████\] 100% 10,050\/10,000/,
    );
  });
});

describe.runIf(online)('seqline backfill (CLI against PostgreSQL)', () => {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
  const table = `bf_cli_${randomUUID().slice(0, 8)}`;
  const base = ['backfill', '--dialect', 'postgres', '--url', POSTGRES_URL, '--table', table];

  beforeAll(async () => {
    await pool.query(
      `CREATE TABLE ${table} (id bigint PRIMARY KEY, conversation_id text NOT NULL, created_at timestamp(6) NOT NULL, sequence bigint)`,
    );
    // 5 conversations x 8 messages; timestamps collide in pairs, so ids break ties.
    await pool.query(
      `INSERT INTO ${table} (id, conversation_id, created_at)
       SELECT g, '${table}-' || (g % 5), timestamp '2026-01-01' + (g / 10) * interval '1 ms'
       FROM generate_series(1, 40) g`,
    );
  });
  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  });

  it('--help prints the usage and exits 0', async () => {
    const { code, stdout } = await run(['backfill', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: seqline backfill --dialect <postgres\|mysql\|sqlite>/);
    expect(stdout).toContain('--dry-run');
  });

  it.each([
    [['backfill', '--dialect', 'postgres'], /missing --url, --table/],
    [
      ['backfill', '--dialect', 'oracle', '--url', 'x', '--table', 't'],
      /unknown --dialect "oracle"/,
    ],
    [[...base, '--tabel', 'x'], /Unknown option '--tabel'/],
    [[...base, '--batch-size', '0'], /--batch-size must be a positive integer/],
    // Errors name the flag that was typed, not the API option behind it.
    [[...base, '--scope-column', 'x;drop'], /invalid --scope-column "x;drop"/],
    [[...base, '--order-by', 'created_at,x;drop'], /invalid --order-by "x;drop"/],
    [[...base, '--counter-table', '1x'], /invalid --counter-table "1x"/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ])('bad arguments %j exit 2 with a clear message', async (args, message) => {
    const { code, stderr } = await run(args as string[]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('a failed connection exits 1 and says so', async () => {
    const { code, stderr } = await run([
      ...base.slice(0, 3),
      '--url',
      'postgres://postgres@127.0.0.1:1/test',
      '--table',
      table,
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^\[seqline\] \[backfill\] \[postgres\] could not connect: .*ECONNREFUSED/m,
    );
  });

  it('a missing table exits 1 and points at --table', async () => {
    const { code, stderr } = await run([...base.slice(0, 5), '--table', `${table}_nope`]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/table \S+_nope does not exist; check --table \(/);
  });

  it('a missing column exits 1, names it and writes nothing', async () => {
    const { code, stderr } = await run([...base, '--order-by', 'sent_at,id']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/has no column sent_at/);
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM ${table} WHERE sequence IS NOT NULL`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('--dry-run prints the SQL and the counts, writes nothing', async () => {
    const { code, stdout } = await run([...base, '--dry-run']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/40 rows in 5 conversations would be numbered, in 1 batch\./);
    expect(stdout).toMatch(
      /row_number\(\) OVER \(PARTITION BY t\."conversation_id" ORDER BY t\."created_at", t\."id"\)/,
    );
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM ${table} WHERE sequence IS NOT NULL`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('numbers the table in (created_at, id) order with plain progress lines when not on a TTY', async () => {
    const { code, stdout, stderr } = await run([...base, '--batch-size', '2']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/backfill done: 40 rows numbered in 5 conversations, 3 batches/);
    expect(stderr).not.toContain('\r');
    expect(stderr).toMatch(/^backfill: 100% 5\/5 conversations · 40 rows/m);
    const { rows } = await pool.query(
      `SELECT count(*)::int AS wrong FROM (
         SELECT sequence, row_number() OVER (PARTITION BY conversation_id ORDER BY created_at, id) AS rn FROM ${table}
       ) r WHERE sequence IS DISTINCT FROM rn`,
    );
    expect(rows[0].wrong).toBe(0);
    const again = await run(base);
    expect(again.stdout).toMatch(/backfill done: 0 rows numbered in 5 conversations/);
  });

  it('draws a bar on a terminal', async () => {
    // script(1) gives the command a pseudo-terminal, as an interactive shell would.
    const command = [
      process.execPath,
      '--import',
      'tsx',
      cli,
      ...base,
      '--renumber',
      '--batch-size',
      '1',
    ]
      .map((arg) => `'${arg}'`)
      .join(' ');
    const { stdout } = await promisify(execFile)('script', ['-qec', command, '/dev/null'], {
      timeout: 30_000,
    });
    expect(stdout).toMatch(/\r\[█+░*\] +\d+% \d\/5 conversations/);
    expect(stdout).toMatch(/\[█{24}\] 100% 5\/5 conversations/);
  });
});
