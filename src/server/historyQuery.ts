import { CodedSeqlineError } from '../core/errors';

/**
 * One history request, as `GET …/messages` reads it from its query string:
 *
 * - `?after=N&limit=L`: the first `L` messages with a sequence above `N`
 *   (gap fills, catch-up, refetches);
 * - `?before=N&limit=L`: the `L` messages just below `N` (older pages);
 * - neither: the latest `L` messages (what a client opens a conversation with).
 *
 * Every page is ascending by sequence.
 */
export interface HistoryQuery {
  /** Messages with a sequence above this one. Absent when `before` is set or for the latest page. */
  after?: number;
  /** Messages with a sequence below this one. Absent when `after` is set or for the latest page. */
  before?: number;
  /** At most this many messages. Absent when the request gave none (the server picks its default). */
  limit?: number;
}

/** Limits of {@link parseHistoryQuery}. */
export interface HistoryQueryOptions {
  /**
   * The largest `limit` accepted; a larger one is a 400, not a silent clamp,
   * so a client that asks for more than it gets knows at once.
   * @default 1000
   */
  maxLimit?: number;
}

/** What was wrong with a history query string. */
export type HistoryQueryErrorCode = 'INVALID_QUERY';

/**
 * A history or stream query string that is not a valid request, e.g.
 * `before=0` or `limit=100000`. Answer it with a 400 and its `message`.
 *
 * @example
 * catch (error) {
 *   if (error instanceof HistoryQueryError) return Response.json({ error: { code: error.code, message: error.message } }, { status: 400 });
 * }
 */
export class HistoryQueryError extends CodedSeqlineError<HistoryQueryErrorCode> {
  override name = 'HistoryQueryError';
}

/** The default {@link HistoryQueryOptions.maxLimit}. */
export const MAX_HISTORY_LIMIT = 1000;

/**
 * The smallest valid value of each history query field, the one definition
 * `parseHistoryQuery` (query strings) and the stores' `validateHistoryQuery`
 * (numbers) both check with {@link isHistoryValue}: `after` 0 (everything),
 * `before` 1, `limit` 1.
 */
export const HISTORY_QUERY_MIN = { after: 0, before: 1, limit: 1 } as const;

/** True when `value` is a valid `field` of a history query: a safe integer of at least its minimum. */
export function isHistoryValue(field: keyof typeof HISTORY_QUERY_MIN, value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= HISTORY_QUERY_MIN[field];
}

/**
 * Reads `after`, `before` and `limit` from a history URL's query string and
 * checks them: `after` is an integer of 0 or more, `before` of 1 or more,
 * `limit` from 1 to `maxLimit`, and `after` and `before` are not both set.
 * Throws a {@link HistoryQueryError} otherwise.
 *
 * @example
 * const query = parseHistoryQuery(new URL(request.url).searchParams);
 * const messages = query.after !== undefined
 *   ? await db.messagesAfter(id, query.after, query.limit ?? 200)
 *   : await db.messagesBefore(id, query.before ?? Number.MAX_SAFE_INTEGER, query.limit ?? 200);
 */
export function parseHistoryQuery(
  params: URLSearchParams,
  options: HistoryQueryOptions = {},
): HistoryQuery {
  const maxLimit = options.maxLimit ?? MAX_HISTORY_LIMIT;
  const after = readSequence(params, 'after', 'Omit it for the latest page');
  const before = readSequence(params, 'before', 'Omit it for the latest page');
  const limit = readSequence(params, 'limit', 'Omit it for the default page size');
  if (after !== undefined && before !== undefined) {
    throw new HistoryQueryError(
      'INVALID_QUERY',
      '[seqline] [server] give `after` (newer messages) or `before` (older ones), not both',
    );
  }
  if (limit !== undefined && limit > maxLimit) {
    throw new HistoryQueryError(
      'INVALID_QUERY',
      `[seqline] [server] \`limit\` is ${limit}; at most ${maxLimit} messages per page. Ask for the next page with \`before\` or \`after\``,
    );
  }
  return {
    ...(after === undefined ? {} : { after }),
    ...(before === undefined ? {} : { before }),
    ...(limit === undefined ? {} : { limit }),
  };
}

/**
 * The page `query` asks for out of `messages` (ascending by sequence): a
 * binary search and a slice, for servers that hold a conversation in memory
 * (the msw mock, tests, demos). Without `limit` every matching message.
 *
 * @example
 * selectHistoryPage(messages, { before: 41, limit: 2 }); // sequences 39 and 40
 */
export function selectHistoryPage<M extends { sequence: number | null }>(
  messages: readonly M[],
  query: HistoryQuery,
): M[] {
  if (query.after !== undefined) {
    const from = firstAbove(messages, query.after);
    return messages.slice(from, query.limit === undefined ? undefined : from + query.limit);
  }
  const to = query.before === undefined ? messages.length : firstAbove(messages, query.before - 1);
  return messages.slice(query.limit === undefined ? 0 : Math.max(0, to - query.limit), to);
}

// ---------------------------------------------------------------------------

function readSequence(
  params: URLSearchParams,
  name: keyof typeof HISTORY_QUERY_MIN,
  hint: string,
): number | undefined {
  const value = params.get(name);
  if (value === null || value === '') return undefined;
  // Plain digits only: `Number` would also take "1e3", "0x10" and " 7".
  const number = /^[0-9]{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!isHistoryValue(name, number)) {
    throw new HistoryQueryError(
      'INVALID_QUERY',
      `[seqline] [server] \`${name}\` is ${JSON.stringify(value)}; it must be an integer of ${HISTORY_QUERY_MIN[name]} or more. ${hint}`,
    );
  }
  return number;
}

/** Index of the first message with a sequence above `sequence` (unsequenced ones sort last). */
function firstAbove(messages: readonly { sequence: number | null }[], sequence: number): number {
  let low = 0;
  let high = messages.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const at = messages[mid]!.sequence;
    if (at !== null && at <= sequence) low = mid + 1;
    else high = mid;
  }
  return low;
}
