import { MessageBusError } from './messageBus';

/** How a reply's `persist` is retried: `retries` more attempts, waiting `delayMs`, then twice that, … */
export interface PersistRetry {
  retries: number;
  delayMs: number;
}

/** Checks the retry options of `createReplyWriter` / `finishAbandonedReplies`, with their defaults. */
export function persistRetryOptions(options: {
  persistRetries?: number | undefined;
  persistRetryDelayMs?: number | undefined;
}): PersistRetry {
  const retries = options.persistRetries ?? 3;
  const delayMs = options.persistRetryDelayMs ?? 100;
  if (!Number.isSafeInteger(retries) || retries < 0) {
    throw new MessageBusError(
      'invalid_option',
      `[seqline] [bus] persistRetries must be 0 or a positive integer, got ${String(retries)}`,
    );
  }
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    throw new MessageBusError(
      'invalid_option',
      `[seqline] [bus] persistRetryDelayMs must be 0 or a positive number, got ${String(delayMs)}`,
    );
  }
  return { retries, delayMs };
}

/**
 * Runs `attempt` until it resolves, at most `1 + retries` times, with
 * exponential backoff (capped at 30 s). Throws a `MessageBusError` naming
 * `what` with the last error as `cause`.
 */
export async function withRetry(
  retry: PersistRetry,
  what: string,
  attempt: () => Promise<void>,
): Promise<void> {
  for (let failures = 0; ; failures++) {
    try {
      await attempt();
      return;
    } catch (error) {
      if (failures >= retry.retries) {
        const message = error instanceof Error ? error.message : String(error);
        throw new MessageBusError(
          'persist_failed',
          `[seqline] [bus] ${what} failed ${failures + 1} time(s): ${message}. Nothing changed; call it again to retry`,
          { cause: error },
        );
      }
      const delay = Math.min(30_000, retry.delayMs * 2 ** failures);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
