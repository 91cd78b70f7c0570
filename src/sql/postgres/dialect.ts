import type { SqlDialectModule } from '../dialects';
import { createPostgresAllocator } from './allocator';
import { createPostgresBackfill } from './backfill';
import type { PostgresClient, PostgresPool } from './config';
import {
  postgresCounterTableDDL,
  postgresSequenceColumnDDL,
  postgresUniqueSequenceDDL,
} from './ddl';
import { postgresStoreDialect } from './store';

/** PostgreSQL through node-postgres (`pg`). */
export const postgres: SqlDialectModule<PostgresClient, PostgresPool> = {
  name: 'postgres',
  quote: '"',
  client: {
    what: 'a pg Pool, Client or PoolClient',
    allocator: ['query'],
    backfill: ['query'],
    hint: 'pass your open driver object',
  },
  counterTableDDL: postgresCounterTableDDL,
  sequenceColumnDDL: postgresSequenceColumnDDL,
  uniqueSequenceDDL: postgresUniqueSequenceDDL,
  allocator: createPostgresAllocator,
  backfill: createPostgresBackfill,
  store: postgresStoreDialect,
};
