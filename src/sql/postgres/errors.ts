/** The SQLSTATE codes seqline recognises from node-postgres errors. */
export const POSTGRES_ERRORS = {
  /** `unique_violation`: a duplicate key (also two racing `CREATE TABLE IF NOT EXISTS`). */
  uniqueViolation: '23505',
  /** `undefined_table`: the table has not been created. */
  undefinedTable: '42P01',
} as const;

/** The SQLSTATE of a node-postgres error, if it has one. */
export function postgresCode(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/**
 * True for a node-postgres `unique_violation` (SQLSTATE 23505), optionally
 * only on the named constraint.
 *
 * @example
 * isPostgresUniqueViolation(error, 'messages_conversation_id_sequence_key')
 */
export function isPostgresUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown } | null;
  return (
    e?.code === POSTGRES_ERRORS.uniqueViolation &&
    (constraint === undefined || e.constraint === constraint)
  );
}
