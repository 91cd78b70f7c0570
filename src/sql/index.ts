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
} from './backfillSequences';
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
export type { SqlDialectName } from './dialect';
export { DEFAULT_TABLE } from './dialect';
export type { MysqlClient, MysqlDialectOptions } from './dialects/mysql';
export type { PostgresClient, PostgresDialectOptions } from './dialects/postgres';
export type { SqliteClient, SqliteDialectOptions, SqliteStatement } from './dialects/sqlite';
export type {
  PostgresBus,
  PostgresBusOptions,
  PostgresBusPool,
  PostgresListenClient,
  PostgresNotification,
} from './postgres/bus';
export { busTableDDL, createPostgresBus } from './postgres/bus';
export type { SequenceColumnDDLOptions, UniqueSequenceDDLOptions } from './sequenceSchemaDDL';
export { sequenceColumnDDL, uniqueSequenceDDL } from './sequenceSchemaDDL';
export type {
  MysqlMessageStoreOptions,
  PostgresMessageStoreOptions,
  SqliteMessageStoreOptions,
  SqlMessageStore,
  SqlMessageStoreOptions,
} from './store/createSqlMessageStore';
export { createSqlMessageStore, DEFAULT_MESSAGES_TABLE } from './store/createSqlMessageStore';
export type { MysqlPool, MysqlPoolConnection } from './store/mysql';
export type { PostgresPool, PostgresPoolClient } from './store/postgres';
export type { SqliteDatabase } from './store/sqlite';
export {
  isMysqlUniqueViolation,
  isPostgresUniqueViolation,
  isSqliteUniqueViolation,
  isUniqueViolation,
} from './uniqueViolation';
