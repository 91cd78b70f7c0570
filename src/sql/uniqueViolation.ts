import { isMysqlUniqueViolation } from './mysql/errors';
import { isPostgresUniqueViolation } from './postgres/errors';
import { isSqliteUniqueViolation } from './sqlite/errors';

/**
 * True for a duplicate-key error from any supported driver (no constraint
 * filter), for `insertWithSequence` from `seqline/server`. To match only the
 * `UNIQUE (conversation_id, sequence)` backstop, use the dialect's own
 * recogniser with the constraint name: a violation of another unique key,
 * such as an idempotency `client_id`, must not be retried with a new sequence.
 */
export function isUniqueViolation(error: unknown): boolean {
  return (
    isPostgresUniqueViolation(error) ||
    isMysqlUniqueViolation(error) ||
    isSqliteUniqueViolation(error)
  );
}
