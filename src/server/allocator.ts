import { SequenceAllocatorError } from './errors';

/** Per-call options. Backends extend it, e.g. SQL allocators accept the caller's open transaction as `client`. */
// biome-ignore lint/suspicious/noEmptyInterface: the extension point every backend's options build on
export interface AllocateOptions {}

/** An inclusive range of sequences handed out by `nextRange`. */
export interface SequenceRange {
  first: number;
  last: number;
}

/**
 * Hands out per-scope sequences 1, 2, 3, … that never repeat. A scope is
 * usually a conversation id. Every implementation passes the conformance
 * suite `testSequenceAllocator` from `seqline/testing`.
 */
export interface SequenceAllocator<Options extends AllocateOptions = AllocateOptions> {
  /** Next sequence for `scope`: 1, 2, 3, … */
  next(scope: string, options?: Options): Promise<number>;
  /** `count` contiguous sequences, e.g. 2 for a user message and its reply. */
  nextRange(scope: string, count: number, options?: Options): Promise<SequenceRange>;
  /** Last sequence handed out for `scope`; 0 if none. */
  current(scope: string, options?: Options): Promise<number>;
}

/** Longest scope accepted, in UTF-8 bytes: fits a VARCHAR(255) key column and a Redis key. */
export const MAX_SCOPE_BYTES = 255;

/**
 * Throws `SequenceAllocatorError('INVALID_SCOPE')` unless `scope` is a
 * non-empty string of at most 255 UTF-8 bytes, without NUL. Every allocator calls it
 * before touching its backend, so bad input changes nothing.
 */
export function assertValidScope(scope: unknown, backend: string): asserts scope is string {
  if (typeof scope !== 'string') {
    throw new SequenceAllocatorError(
      'INVALID_SCOPE',
      `[seqline] [${backend}] scope must be a string (usually the conversation id), got ${describe(scope)}`,
    );
  }
  if (scope.length === 0) {
    throw new SequenceAllocatorError(
      'INVALID_SCOPE',
      `[seqline] [${backend}] scope must not be empty: pass the conversation id`,
    );
  }
  if (scope.includes('\0')) {
    // Postgres text cannot hold NUL: it would fail as BACKEND after a round trip.
    throw new SequenceAllocatorError(
      'INVALID_SCOPE',
      `[seqline] [${backend}] scope must not contain NUL (\\0): no database key column stores it`,
    );
  }
  // A UTF-16 code unit is at most 3 UTF-8 bytes, so short scopes skip the encoding.
  const bytes = scope.length * 3 <= MAX_SCOPE_BYTES ? 0 : encoder.encode(scope).length;
  if (bytes > MAX_SCOPE_BYTES) {
    throw new SequenceAllocatorError(
      'INVALID_SCOPE',
      `[seqline] [${backend}] scope is ${bytes} UTF-8 bytes; the limit is ${MAX_SCOPE_BYTES}. Use a shorter id (or a hash of it)`,
    );
  }
}

/**
 * Highest sequence any allocator hands out: `Number.MAX_SAFE_INTEGER`, the
 * last integer a JavaScript number holds exactly (past it, two sequences
 * could read as the same number).
 */
export const MAX_SEQUENCE = Number.MAX_SAFE_INTEGER;

/** The `OVERFLOW` error an allocator throws, before any write, when `count` more would pass {@link MAX_SEQUENCE}. */
export function overflowError(
  backend: string,
  scope: string,
  count: number,
): SequenceAllocatorError {
  return new SequenceAllocatorError(
    'OVERFLOW',
    `[seqline] [${backend}] reserving ${count} more for scope ${JSON.stringify(scope)} would take its counter past ${MAX_SEQUENCE} (Number.MAX_SAFE_INTEGER); nothing was reserved. Use a new scope`,
  );
}

/** Throws `SequenceAllocatorError('INVALID_COUNT')` unless `count` is a positive safe integer. */
export function assertValidCount(count: unknown, backend: string): asserts count is number {
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
    throw new SequenceAllocatorError(
      'INVALID_COUNT',
      `[seqline] [${backend}] nextRange count must be a positive integer, got ${describe(count)}`,
    );
  }
}

// ---------------------------------------------------------------------------

const encoder = new TextEncoder();

function describe(value: unknown): string {
  if (typeof value === 'string') return `a string of length ${value.length}`;
  if (value === null) return 'null';
  return typeof value === 'number' ? String(value) : typeof value;
}
