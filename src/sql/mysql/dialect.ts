import type { SqlDialectModule } from '../dialects';
import { createMysqlAllocator } from './allocator';
import { createMysqlBackfill } from './backfill';
import type { MysqlClient, MysqlPool } from './config';
import { mysqlCounterTableDDL, mysqlSequenceColumnDDL, mysqlUniqueSequenceDDL } from './ddl';
import { mysqlStoreDialect } from './store';

/** MySQL 8 and MariaDB through `mysql2/promise`. */
export const mysql: SqlDialectModule<MysqlClient, MysqlPool> = {
  name: 'mysql',
  quote: '`',
  client: {
    what: 'a mysql2/promise Pool or Connection',
    allocator: ['query'],
    backfill: ['query'],
    hint: 'use the promise API: require("mysql2/promise")',
  },
  counterTableDDL: mysqlCounterTableDDL,
  sequenceColumnDDL: mysqlSequenceColumnDDL,
  uniqueSequenceDDL: mysqlUniqueSequenceDDL,
  allocator: createMysqlAllocator,
  backfill: createMysqlBackfill,
  store: mysqlStoreDialect,
};
