import type { SqlDialectModule } from '../dialects';
import { createSqliteAllocator } from './allocator';
import { createSqliteBackfill } from './backfill';
import type { SqliteClient, SqliteDatabase } from './config';
import { sqliteCounterTableDDL, sqliteSequenceColumnDDL, sqliteUniqueSequenceDDL } from './ddl';
import { sqliteStoreDialect } from './store';

/** SQLite through `better-sqlite3`. */
export const sqlite: SqlDialectModule<SqliteClient, SqliteDatabase> = {
  name: 'sqlite',
  quote: '"',
  client: {
    what: 'a better-sqlite3 Database',
    // pragma sets the busy timeout; the backfill does not need it.
    allocator: ['prepare', 'exec', 'pragma'],
    backfill: ['prepare', 'exec'],
    hint: 'pass your open driver object',
  },
  counterTableDDL: sqliteCounterTableDDL,
  sequenceColumnDDL: sqliteSequenceColumnDDL,
  uniqueSequenceDDL: sqliteUniqueSequenceDDL,
  allocator: createSqliteAllocator,
  backfill: createSqliteBackfill,
  store: sqliteStoreDialect,
};
