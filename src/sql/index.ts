export type { BackfillErrorCode } from './backfill/BackfillError';
export { BackfillError } from './backfill/BackfillError';
export type {
  BackfillOptions,
  BackfillProgress,
  BackfillResult,
  BackfillStatements,
  MysqlBackfillOptions,
  PostgresBackfillOptions,
  SqliteBackfillOptions,
} from './backfill/options';
export { backfillSequences } from './backfillSequences';
export type {
  MysqlAllocatorOptions,
  PostgresAllocatorOptions,
  SqlAllocateOptions,
  SqlAllocator,
  SqlAllocatorOptions,
  SqlClient,
  SqliteAllocatorOptions,
} from './createSqlAllocator';
export { counterTableDDL, createSqlAllocator } from './createSqlAllocator';
export type { SqlDialectName } from './identifiers';
export type {
  MysqlClient,
  MysqlDialectOptions,
  MysqlPool,
  MysqlPoolConnection,
} from './mysql/config';
export { isMysqlUniqueViolation } from './mysql/errors';
export type {
  PostgresBus,
  PostgresBusOptions,
  PostgresBusPool,
  PostgresListenClient,
  PostgresNotification,
} from './postgres/bus';
export { busTableDDL, createPostgresBus } from './postgres/bus';
export type {
  PostgresClient,
  PostgresDialectOptions,
  PostgresPool,
  PostgresPoolClient,
} from './postgres/config';
export { isPostgresUniqueViolation } from './postgres/errors';
export type { SequenceColumnDDLOptions, UniqueSequenceDDLOptions } from './sequenceSchemaDDL';
export { sequenceColumnDDL, uniqueSequenceDDL } from './sequenceSchemaDDL';
export type {
  SqliteClient,
  SqliteDatabase,
  SqliteDialectOptions,
  SqliteStatement,
} from './sqlite/config';
export { isSqliteUniqueViolation } from './sqlite/errors';
export type {
  MysqlMessageStoreOptions,
  PostgresMessageStoreOptions,
  SqliteMessageStoreOptions,
  SqlMessageStore,
  SqlMessageStoreOptions,
} from './store/createSqlMessageStore';
export { createSqlMessageStore, DEFAULT_MESSAGES_TABLE } from './store/createSqlMessageStore';
export { isUniqueViolation } from './uniqueViolation';
