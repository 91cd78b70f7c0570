/**
 * Every error seqline throws is a `SeqlineError`, so one `instanceof` check
 * catches them all. Messages start with `[seqline]` and say what to do; the
 * original error, when there is one, is kept as `cause`.
 */
export class SeqlineError extends Error {
  override name = 'SeqlineError';
}

/**
 * A `SeqlineError` whose `code` says which kind of failure it is, for
 * programmatic handling. Each subsystem subclasses it with its own name and
 * its own union of codes.
 */
export class CodedSeqlineError<Code extends string> extends SeqlineError {
  readonly code: Code;

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** One problem found while validating input: where it is and what is wrong. */
export interface ValidationIssue {
  /** Path to the offending field, e.g. `['messages', 3, 'createdAt']`. */
  path: readonly PropertyKey[];
  /** What is wrong with it and what was expected. */
  message: string;
}

/** What a {@link ValidationError} rejected. */
export type ValidationErrorCode =
  /** A message, a page of messages, an optimistic message or an option (`ValidationError`). */
  | 'INVALID_INPUT'
  /** A stream event: `message`, `delta` or `status` (`StreamEventError`). */
  | 'INVALID_STREAM_EVENT';

/**
 * Input did not match the schema it was parsed with. `issues` lists every
 * field that failed and why; `message` summarises the first few. `code` is
 * `'INVALID_INPUT'` (`'INVALID_STREAM_EVENT'` on a `StreamEventError`).
 */
export class ValidationError extends CodedSeqlineError<ValidationErrorCode> {
  override name = 'ValidationError';
  readonly issues: readonly ValidationIssue[];

  constructor(what: string, issues: readonly ValidationIssue[], options?: ErrorOptions) {
    super('INVALID_INPUT', `[seqline] invalid ${what}: ${summarize(issues)}`, options);
    this.issues = issues;
  }
}

/**
 * A stream event (`message`, `delta` or `status`) failed validation. Nothing
 * was applied. `code` is `'INVALID_STREAM_EVENT'`.
 */
export class StreamEventError extends ValidationError {
  override name = 'StreamEventError';
  override readonly code = 'INVALID_STREAM_EVENT' as const;
}

// ---------------------------------------------------------------------------

function summarize(issues: readonly ValidationIssue[]): string {
  const shown = issues.slice(0, 3).map((issue) => {
    const where = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    return `${where}: ${issue.message}`;
  });
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return `${shown.join('; ')}${more}`;
}
