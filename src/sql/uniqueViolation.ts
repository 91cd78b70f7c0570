/**
 * Recognisers for "duplicate key" errors, one per driver, for
 * `insertWithSequence` from `seqline/server`. Pass `constraint` (or key
 * name) to match only the `UNIQUE (conversation_id, sequence)` backstop: a
 * violation of another unique key, such as an idempotency `client_id`, must
 * not be retried with a new sequence.
 */

/**
 * True for a node-postgres `unique_violation` (SQLSTATE 23505), optionally
 * only on the named constraint.
 *
 * @example
 * isPostgresUniqueViolation(error, 'messages_conversation_id_sequence_key')
 */
export function isPostgresUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

/**
 * True for a mysql2 `ER_DUP_ENTRY` (errno 1062), optionally only on the named
 * key (MySQL reports `for key 'messages.name'`, MariaDB `for key 'name'`).
 *
 * @example
 * isMysqlUniqueViolation(error, 'conversation_sequence')
 */
export function isMysqlUniqueViolation(error: unknown, key?: string): boolean {
  const e = error as { errno?: unknown; message?: unknown } | null;
  if (e?.errno !== 1062) return false;
  if (key === undefined) return true;
  const message = String(e.message);
  return message.endsWith(`for key '${key}'`) || message.endsWith(`.${key}'`);
}

/**
 * True for a better-sqlite3 `SQLITE_CONSTRAINT_UNIQUE` or
 * `SQLITE_CONSTRAINT_PRIMARYKEY`, optionally only when the message names
 * `columns` as SQLite reports them (`messages.conversation_id, messages.sequence`).
 *
 * @example
 * isSqliteUniqueViolation(error, 'messages.conversation_id, messages.sequence')
 */
export function isSqliteUniqueViolation(error: unknown, columns?: string): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e?.code !== 'SQLITE_CONSTRAINT_UNIQUE' && e?.code !== 'SQLITE_CONSTRAINT_PRIMARYKEY')
    return false;
  return columns === undefined || String(e.message).endsWith(`: ${columns}`);
}

/** True when any of the three recognisers above matches (no constraint filter). */
export function isUniqueViolation(error: unknown): boolean {
  return (
    isPostgresUniqueViolation(error) ||
    isMysqlUniqueViolation(error) ||
    isSqliteUniqueViolation(error)
  );
}
