/** The mysql2 `errno` values seqline recognises. */
export const MYSQL_ERRORS = {
  /** `ER_DUP_ENTRY`: a duplicate key. */
  duplicateEntry: 1062,
  /** `ER_LOCK_DEADLOCK`: InnoDB rolled the transaction back. */
  deadlock: 1213,
  /** `ER_LOCK_WAIT_TIMEOUT`. */
  lockWaitTimeout: 1205,
  /** `ER_NO_SUCH_TABLE`: the table has not been created. */
  noSuchTable: 1146,
} as const;

/** The `errno` of a mysql2 error, if it has one. */
export function mysqlErrno(error: unknown): unknown {
  return (error as { errno?: unknown } | null)?.errno;
}

/**
 * True for a mysql2 `ER_DUP_ENTRY` (errno 1062), optionally only on the named
 * key (MySQL reports `for key 'messages.name'`, MariaDB `for key 'name'`).
 *
 * @example
 * isMysqlUniqueViolation(error, 'conversation_sequence')
 */
export function isMysqlUniqueViolation(error: unknown, key?: string): boolean {
  if (mysqlErrno(error) !== MYSQL_ERRORS.duplicateEntry) return false;
  if (key === undefined) return true;
  const message = String((error as { message?: unknown }).message);
  return message.endsWith(`for key '${key}'`) || message.endsWith(`.${key}'`);
}
