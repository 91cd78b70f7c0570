/**
 * The backfill tests, registered once for every engine. Each engine's test
 * file (test/services/backfill-*.test.ts) describes how to reach it and how
 * to kill its connection, then calls `describeBackfill`.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackfillError,
  type BackfillOptions,
  backfillSequences,
  createSqlAllocator,
  type SqlDialectName,
  sequenceColumnDDL,
  uniqueSequenceDDL,
} from '../../src/sql';

/** One engine, as the suite drives it. SQL given to `exec`/`rows` uses `?` placeholders. */
export interface BackfillEngine {
  dialect: SqlDialectName;
  /** The driver object handed to `backfillSequences` and `createSqlAllocator`. */
  client: unknown;
  /** Connection target for a writer process (URL or file). */
  target: string;
  exec(sql: string, values?: unknown[]): Promise<void>;
  rows<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  /** CREATE TABLE for a messages table with µs timestamps and no sequence column yet. */
  createMessages(table: string): string;
  /**
   * A client for `backfillSequences` whose connection is killed by the
   * server (or closed) just before the `kill`-th numbering statement runs.
   */
  dyingClient(kill: number): Promise<{ client: unknown; close(): Promise<void> }>;
  close(): Promise<void>;
}

interface Message {
  id: number;
  conversation: string;
  createdAt: string;
}

const COUNTERS = 'seqline_counters';

export function describeBackfill(name: string, connect: () => Promise<BackfillEngine>): void {
  describe(`backfillSequences on ${name}`, () => {
    let engine: BackfillEngine;
    const tables: string[] = [];
    const newTable = async () => {
      const table = `bf_${randomUUID().slice(0, 8)}`;
      tables.push(table);
      await engine.exec(engine.createMessages(table));
      await engine.exec(sequenceColumnDDL({ dialect: engine.dialect, table }));
      return table;
    };
    const options = (table: string, extra: Partial<BackfillOptions> = {}) =>
      ({
        dialect: engine.dialect,
        client: engine.client,
        table,
        scopeColumn: 'conversation_id',
        sequenceColumn: 'sequence',
        batchSize: 7,
        ...extra,
      }) as BackfillOptions;
    const load = async (table: string, messages: Message[]) => {
      for (let i = 0; i < messages.length; i += 500) {
        const chunk = messages.slice(i, i + 500);
        await engine.exec(
          `INSERT INTO ${table} (id, conversation_id, created_at) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}`,
          chunk.flatMap((m) => [m.id, m.conversation, m.createdAt]),
        );
      }
    };
    const stored = async (table: string) =>
      engine.rows<{ id: number; conversation_id: string; sequence: number | null }>(
        `SELECT id, conversation_id, sequence FROM ${table} ORDER BY id`,
      );
    const counters = async (scopes: string[]) => {
      const rows = await engine.rows<{ scope: unknown; value: unknown }>(
        `SELECT scope, value FROM ${COUNTERS} WHERE scope IN (${scopes.map(() => '?').join(', ')})`,
        scopes,
      );
      return new Map(rows.map((r) => [String(r.scope), Number(r.value)]));
    };

    beforeAll(async () => {
      engine = await connect();
    });
    afterAll(async () => {
      for (const table of tables) await engine.exec(`DROP TABLE IF EXISTS ${table}`);
      await engine.close();
    });

    it("migration doesn't break existing conversations: (createdAt, id) order, 1..n, UNIQUE, allocator at n + 1", async () => {
      const table = await newTable();
      const messages = conversations(`mig-${randomUUID().slice(0, 6)}`, 50);
      await load(table, shuffle(messages));

      const result = await backfillSequences(options(table));
      expect(result).toMatchObject({ dryRun: false, scopes: 50, rows: messages.length });
      expect(result.batches).toBe(Math.ceil(50 / 7));

      const byId = new Map((await stored(table)).map((r) => [Number(r.id), r]));
      const scopes = [...new Set(messages.map((m) => m.conversation))];
      const seeded = await counters(scopes);
      for (const scope of scopes) {
        const expected = messages
          .filter((m) => m.conversation === scope)
          .sort((a, b) =>
            a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id - b.id,
          );
        const actual = expected.map((m) => Number(byId.get(m.id)?.sequence));
        // Sorted by (createdAt, id), the sequences read exactly 1, 2, …, n.
        expect(actual).toEqual(expected.map((_, i) => i + 1));
        expect(seeded.get(scope)).toBe(expected.length);
      }

      await engine.exec(
        uniqueSequenceDDL({ dialect: engine.dialect, table, scopeColumn: 'conversation_id' }),
      );
      const allocator = createSqlAllocator({
        dialect: engine.dialect,
        client: engine.client,
      } as Parameters<typeof createSqlAllocator>[0]);
      for (const scope of scopes.slice(0, 5)) {
        const n = messages.filter((m) => m.conversation === scope).length;
        expect(await allocator.next(scope)).toBe(n + 1);
      }
      // The constraint is real: a duplicate is refused.
      await expect(
        engine.exec(
          `INSERT INTO ${table} (id, conversation_id, created_at, sequence) VALUES (?, ?, ?, ?)`,
          [10_000_000, scopes[0], '2030-01-01 00:00:00.000000', 1],
        ),
      ).rejects.toThrow();
    });

    it('re-running changes nothing, in either mode', async () => {
      const table = await newTable();
      const messages = conversations(`rerun-${randomUUID().slice(0, 6)}`, 12);
      await load(table, messages);
      await backfillSequences(options(table));
      const scopes = [...new Set(messages.map((m) => m.conversation))];
      const before = { rows: await stored(table), counters: await counters(scopes) };

      expect((await backfillSequences(options(table))).rows).toBe(0);
      expect((await backfillSequences(options(table, { onlyMissing: false }))).rows).toBe(0);
      expect(await stored(table)).toEqual(before.rows);
      expect(await counters(scopes)).toEqual(before.counters);
    });

    it('numbers only NULL / 0 rows after the existing ones, and never lowers a counter', async () => {
      const table = await newTable();
      const scope = `keep-${randomUUID().slice(0, 6)}`;
      await load(table, [
        { id: 1, conversation: scope, createdAt: '2026-01-01 00:00:00.000003' },
        { id: 2, conversation: scope, createdAt: '2026-01-01 00:00:00.000001' },
        { id: 3, conversation: scope, createdAt: '2026-01-01 00:00:00.000002' },
        { id: 4, conversation: scope, createdAt: '2026-01-01 00:00:00.000000' },
      ]);
      await engine.exec(`UPDATE ${table} SET sequence = ? WHERE id = ?`, [5, 1]);
      await engine.exec(`UPDATE ${table} SET sequence = ? WHERE id = ?`, [0, 2]);
      await engine.exec(`INSERT INTO ${COUNTERS} (scope, value) VALUES (?, ?)`, [scope, 9]);

      const result = await backfillSequences(options(table));
      expect(result.rows).toBe(3);
      const seqs = new Map((await stored(table)).map((r) => [Number(r.id), Number(r.sequence)]));
      // Row 1 keeps 5; the rest follow the counter (9), in (createdAt, id) order.
      expect([...seqs.entries()]).toEqual([
        [1, 5],
        [2, 11],
        [3, 12],
        [4, 10],
      ]);
      expect((await counters([scope])).get(scope)).toBe(12);

      // Renumbering puts every row back to 1..n in order, and still never lowers the counter.
      const renumbered = await backfillSequences(options(table, { onlyMissing: false }));
      expect(renumbered.rows).toBe(4);
      const after = new Map((await stored(table)).map((r) => [Number(r.id), Number(r.sequence)]));
      expect([...after.entries()]).toEqual([
        [1, 4],
        [2, 2],
        [3, 3],
        [4, 1],
      ]);
      expect((await counters([scope])).get(scope)).toBe(12);
    });

    it('dry run: returns the SQL and the counts, writes nothing', async () => {
      const table = await newTable();
      const messages = conversations(`dry-${randomUUID().slice(0, 6)}`, 9);
      await load(table, messages);
      const progress: unknown[] = [];
      const result = await backfillSequences(
        options(table, { dryRun: true, onProgress: (p) => progress.push(p) }),
      );
      expect(result).toMatchObject({ dryRun: true, scopes: 9, rows: messages.length, batches: 2 });
      expect(result.statements.number).toMatch(/ROW_NUMBER\(\) OVER \(PARTITION BY/i);
      expect(result.statements.seed).toContain(COUNTERS);
      expect(progress).toEqual([]);
      expect((await stored(table)).every((r) => r.sequence === null)).toBe(true);
      expect((await counters([messages[0]!.conversation])).size).toBe(0);
    });

    it('reports progress after every batch', async () => {
      const table = await newTable();
      const messages = conversations(`prog-${randomUUID().slice(0, 6)}`, 15);
      await load(table, messages);
      const progress: { batch: number; scopesDone: number; rowsUpdated: number }[] = [];
      await backfillSequences(
        options(table, { batchSize: 4, onProgress: (p) => progress.push(p) }),
      );
      expect(progress.map((p) => p.scopesDone)).toEqual([4, 8, 12, 15]);
      expect(progress.map((p) => p.batch)).toEqual([1, 2, 3, 4]);
      expect(progress.at(-1)?.rowsUpdated).toBe(messages.length);
      expect(
        progress.every(
          (p) => 'scopesTotal' in p && (p as { scopesTotal: number }).scopesTotal === 15,
        ),
      ).toBe(true);
    });

    it('a backfill killed half way leaves every finished batch consistent and resumes', async () => {
      const table = await newTable();
      const messages = conversations(`kill-${randomUUID().slice(0, 6)}`, 30);
      await load(table, messages);
      const scopes = [...new Set(messages.map((m) => m.conversation))].sort();

      const dying = await engine.dyingClient(3);
      const progress: number[] = [];
      const failure = await backfillSequences(
        options(table, {
          client: dying.client,
          batchSize: 5,
          onProgress: (p) => progress.push(p.batch),
        } as Partial<BackfillOptions>),
      ).catch((error: unknown) => error);
      await dying.close();
      expect(failure).toBeInstanceOf(BackfillError);
      expect((failure as BackfillError).code).toBe('BACKEND');
      expect((failure as Error).message).toMatch(
        /^\[seqline\] \[backfill\] .*batch 3 .*run the backfill again to resume/,
      );
      expect(progress).toEqual([1, 2]);

      const rows = await stored(table);
      const seeded = await counters(scopes);
      const done = scopes.filter((scope) =>
        rows.some((r) => r.conversation_id === scope && r.sequence !== null),
      );
      // Batches 1 and 2 (10 scopes, the first in scope order) are complete; batch 3 rolled back whole.
      expect(done).toEqual(scopes.slice(0, 10));
      for (const scope of scopes) {
        const mine = rows.filter((r) => r.conversation_id === scope);
        if (done.includes(scope)) {
          expect(mine.map((r) => Number(r.sequence)).sort((a, b) => a - b)).toEqual(
            mine.map((_, i) => i + 1),
          );
          expect(seeded.get(scope)).toBe(mine.length);
        } else {
          expect(mine.every((r) => r.sequence === null)).toBe(true);
          expect(seeded.get(scope) ?? 0).toBe(0);
        }
      }

      const resumed = await backfillSequences(options(table, { batchSize: 5 }));
      expect(resumed.rows).toBe(rows.filter((r) => r.sequence === null).length);
      const after = await stored(table);
      for (const scope of scopes) {
        const expected = messages
          .filter((m) => m.conversation === scope)
          .sort((a, b) =>
            a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id - b.id,
          );
        const byId = new Map(after.map((r) => [Number(r.id), Number(r.sequence)]));
        expect(expected.map((m) => byId.get(m.id))).toEqual(expected.map((_, i) => i + 1));
      }
    });

    it('live writes through the allocator during the backfill never collide with backfilled numbers', async () => {
      const table = await newTable();
      const prefix = `live-${randomUUID().slice(0, 6)}`;
      const messages = conversations(prefix, 40);
      await load(table, messages);
      const scopes = [...new Set(messages.map((m) => m.conversation))].sort();

      const writers = await Promise.all(
        [0, 1, 2].map((w) => startWriter(engine, table, 1_000_000 * (w + 1), scopes)),
      );
      const result = await backfillSequences(options(table, { batchSize: 2 }));
      const written = (await Promise.all(writers.map((w) => w.stop()))).flat();
      expect(written.length).toBeGreaterThan(10);
      expect(result.scopes).toBe(40);

      const rows = await stored(table);
      expect(rows.filter((r) => r.sequence === null)).toEqual([]);
      const seeded = await counters(scopes);
      for (const scope of scopes) {
        const seqs = rows.filter((r) => r.conversation_id === scope).map((r) => Number(r.sequence));
        expect(new Set(seqs).size).toBe(seqs.length);
        expect(seeded.get(scope)).toBeGreaterThanOrEqual(Math.max(...seqs));
      }
      // Every live write kept the number the allocator gave it.
      const byId = new Map(rows.map((r) => [Number(r.id), Number(r.sequence)]));
      for (const [id, , sequence] of written) expect(byId.get(id)).toBe(sequence);
      await engine.exec(
        uniqueSequenceDDL({ dialect: engine.dialect, table, scopeColumn: 'conversation_id' }),
      );
    });

    describe('bad input: a clear error and no statement run', () => {
      const recording = () => {
        const calls: string[] = [];
        const client = new Proxy(engine.client as object, {
          get(target, property, receiver) {
            const value = Reflect.get(target, property, receiver);
            if (typeof value !== 'function') return value;
            return (...args: unknown[]) => {
              calls.push(String(property));
              return value.apply(target, args);
            };
          },
        });
        return { client, calls };
      };

      it.each([
        ['unknown dialect', { dialect: 'oracle' }, /unknown dialect "oracle"/],
        ['injection in table', { table: 'messages; DROP TABLE messages' }, /invalid table/],
        ['injection in scopeColumn', { scopeColumn: 'a" OR 1=1 --' }, /invalid scopeColumn/],
        ['injection in sequenceColumn', { sequenceColumn: 'x`; DELETE' }, /invalid sequenceColumn/],
        ['injection in orderBy', { orderBy: ['created_at', "id'--"] }, /invalid orderBy\[1\]/],
        ['injection in counterTable', { counterTable: 'a.b.c' }, /invalid counterTable/],
        ['bad batchSize', { batchSize: 0 }, /batchSize must be a positive integer/],
      ])('%s', async (_, bad, message) => {
        const { client, calls } = recording();
        const error = await backfillSequences({
          ...options('messages'),
          client,
          ...bad,
        } as BackfillOptions).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BackfillError);
        expect((error as BackfillError).code).toBe('INVALID_OPTIONS');
        expect((error as Error).message).toMatch(/^\[seqline\] \[backfill\] /);
        expect((error as Error).message).toMatch(message);
        expect(calls).toEqual([]);
      });

      it('missing table or column: named in the error, nothing written', async () => {
        const table = await newTable();
        await load(table, conversations(`miss-${randomUUID().slice(0, 6)}`, 2));
        const missingTable = await backfillSequences(options(`${table}_nope`)).catch((e) => e);
        expect(missingTable).toBeInstanceOf(BackfillError);
        expect(missingTable.code).toBe('MISSING_TABLE');
        expect(missingTable.message).toMatch(new RegExp(`table ${table}_nope does not exist`));

        const missingColumn = await backfillSequences(
          options(table, { sequenceColumn: 'seq_nope', orderBy: ['sent_at'] }),
        ).catch((e) => e);
        expect(missingColumn).toBeInstanceOf(BackfillError);
        expect(missingColumn.code).toBe('MISSING_COLUMN');
        expect(missingColumn.message).toMatch(/has no column seq_nope, sent_at \(it has /);
        expect(missingColumn.message).toMatch(/sequenceColumnDDL/);
        expect((await stored(table)).every((r) => r.sequence === null)).toBe(true);
      });
    });
  });
}

// ---------------------------------------------------------------------------

/**
 * `count` conversations of 3..30 messages whose timestamps collide: many at
 * the same millisecond, some at the same microsecond (so only the id breaks
 * the tie). Ids are shuffled so id order is not time order.
 */
function conversations(prefix: string, count: number): Message[] {
  const messages: Omit<Message, 'id'>[] = [];
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let c = 0; c < count; c++) {
    const conversation = `${prefix}-${String(c).padStart(3, '0')}`;
    const size = 3 + Math.floor(random() * 28);
    for (let i = 0; i < size; i++) {
      const ms = Math.floor(random() * 4); // 4 distinct milliseconds: collisions everywhere
      const us = random() < 0.5 ? 0 : Math.floor(random() * 3); // and at the microsecond
      const fraction = `${String(ms).padStart(3, '0')}${String(us).padStart(3, '0')}`;
      messages.push({ conversation, createdAt: `2026-01-01 00:00:00.${fraction}` });
    }
  }
  const ids = shuffle(messages.map((_, i) => i + 1));
  return messages.map((m, i) => ({ ...m, id: ids[i]! }));
}

function shuffle<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

interface Writer {
  stop(): Promise<[number, string, number][]>;
}

async function startWriter(
  engine: BackfillEngine,
  table: string,
  firstId: number,
  scopes: string[],
): Promise<Writer> {
  const script = fileURLToPath(new URL('./backfill-writer.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      script,
      engine.dialect,
      engine.target,
      table,
      String(firstId),
      scopes.join(','),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.value !== 'ready') throw new Error(`writer failed to start: ${stderr}`);
  return {
    async stop() {
      child.stdin.write('stop\n');
      const last = await iterator.next();
      if (last.done) throw new Error(`writer failed: ${stderr}`);
      return (JSON.parse(last.value) as { rows: [number, string, number][] }).rows;
    },
  };
}
