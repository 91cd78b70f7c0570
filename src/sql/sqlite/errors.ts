/** The better-sqlite3 error codes seqline recognises. */
export const SQLITE_ERRORS = {
  /** A duplicate value in a `UNIQUE` key. */
  unique: 'SQLITE_CONSTRAINT_UNIQUE',
  /** A duplicate primary key. */
  primaryKey: 'SQLITE_CONSTRAINT_PRIMARYKEY',
  /** Another connection held the lock past the busy timeout. */
  busy: 'SQLITE_BUSY',
} as const;

/** True when SQLite says the table has not been created. */
export function isSqliteNoSuchTable(error: unknown): boolean {
  return /no such table/.test(String((error as Error | null)?.message));
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
  if (e?.code !== SQLITE_ERRORS.unique && e?.code !== SQLITE_ERRORS.primaryKey) return false;
  return columns === undefined || String(e.message).endsWith(`: ${columns}`);
}
