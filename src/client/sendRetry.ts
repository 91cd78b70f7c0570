import { RequestError } from './fetchers';

/** How `useSendMessage` retries a send that failed on the way (the same clientId, so it is stored once). */
export interface SendRetryOptions {
  /**
   * Retries of a transient failure before the message is marked failed.
   * @default 5
   */
  attempts?: number;
  /**
   * Milliseconds before retry number `attempt` (1 for the first). A
   * `Retry-After` from the server wins (up to a minute).
   * @default 500 ms, doubling each time, at most 15 s
   */
  delayMs?: (attempt: number, error: Error) => number;
  /**
   * Which failures are worth retrying.
   * @default isTransientSendError: no response at all, 408, 429 and 5xx
   */
  isTransient?: (error: Error) => boolean;
}

/**
 * True for a failure that may pass on its own: the network failed (no
 * response), or the server answered 408, 429 or 5xx. Any other 4xx means the
 * server refused the message, and sending it again would not change that.
 */
export function isTransientSendError(error: Error): boolean {
  if (error instanceof RequestError) {
    const { status, code } = error;
    // A body that is not the protocol is a server bug: sending again would not change it.
    if (code === 'BAD_RESPONSE') return false;
    return status === undefined || status === 408 || status === 429 || status >= 500;
  }
  // A custom postMessage over fetch: fetch rejects with a TypeError when the network fails.
  return error instanceof TypeError;
}

/** TanStack Query's `retry` and `retryDelay` for a send, from the options. */
export function sendRetry(options: SendRetryOptions | false | undefined) {
  const { attempts = 5, isTransient = isTransientSendError, delayMs = backoff } = options || {};
  const retries = options === false ? 0 : attempts;
  return {
    // TanStack Query passes the failures before this one: 0 on the first.
    retry: (failures: number, error: Error) => failures < retries && isTransient(error),
    retryDelay: (failures: number, error: Error) => {
      const asked = error instanceof RequestError ? error.retryAfterMs : undefined;
      return asked === undefined
        ? delayMs(failures + 1, error)
        : Math.min(asked, MAX_RETRY_AFTER_MS);
    },
  };
}

// ---------------------------------------------------------------------------

const MAX_RETRY_AFTER_MS = 60_000;

function backoff(attempt: number): number {
  return Math.min(500 * 2 ** (attempt - 1), 15_000);
}
