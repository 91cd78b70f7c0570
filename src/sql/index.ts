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
export {
  isMysqlUniqueViolation,
  isPostgresUniqueViolation,
  isSqliteUniqueViolation,
  isUniqueViolation,
} from './uniqueViolation';
