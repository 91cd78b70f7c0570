import { CodedSeqlineError } from '../../core/errors';

/** What went wrong in a backfill, for programmatic handling. */
export type BackfillErrorCode =
  /** Bad options: unknown dialect, an identifier that is not a plain name, a bad batch size. Nothing ran. */
  | 'INVALID_OPTIONS'
  /** The messages table does not exist. Nothing was written. */
  | 'MISSING_TABLE'
  /** A named column is not in the messages table. Nothing was written. */
  | 'MISSING_COLUMN'
  /**
   * A statement failed (connection lost, lock timeout, …); see `cause`. Every
   * batch committed before it is complete and consistent: run the backfill
   * again to resume.
   */
  | 'BACKEND';

/**
 * Thrown by `backfillSequences` and the `seqline backfill` command. Messages
 * read `[seqline] [backfill] …` and say what to do; `cause` keeps the
 * driver's error.
 *
 * @example
 * try { await backfillSequences(options) }
 * catch (error) {
 *   if (error instanceof BackfillError && error.code === 'BACKEND') console.error('re-run to resume', error.cause);
 *   throw error;
 * }
 */
export class BackfillError extends CodedSeqlineError<BackfillErrorCode> {
  override name = 'BackfillError';
}
