import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll } from 'vitest';
import { describeBackfill } from '../support/backfill-suite';

const dir = mkdtempSync(join(tmpdir(), 'seqline-backfill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeBackfill('SQLite (better-sqlite3 file)', async () => {
  const file = join(dir, 'messages.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 30000');
  return {
    dialect: 'sqlite',
    client: db,
    target: file,
    async exec(sql, values = []) {
      if (values.length === 0) db.exec(sql);
      else db.prepare(sql).run(...values);
    },
    async rows(sql, values = []) {
      return db.prepare(sql).all(...values) as never[];
    },
    createMessages: (table) =>
      `CREATE TABLE ${table} (id INTEGER PRIMARY KEY, conversation_id TEXT NOT NULL, created_at TEXT NOT NULL)`,
    async dyingClient(kill) {
      const other = new Database(file);
      let numbering = 0;
      return {
        // A process dying mid-batch: the connection closes with the transaction open.
        client: {
          prepare(source: string) {
            if (/ROW_NUMBER\(\)/.test(source) && /\bUPDATE\b/.test(source)) {
              numbering += 1;
              if (numbering === kill) other.close();
            }
            return other.prepare(source);
          },
          exec: (source: string) => other.exec(source),
          pragma: (source: string) => other.pragma(source),
          get inTransaction() {
            return other.open && other.inTransaction;
          },
        },
        close: async () => {
          if (other.open) other.close();
        },
      };
    },
    close: async () => {
      db.close();
    },
  };
});
