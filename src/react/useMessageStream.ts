import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { conversationUrl } from '../client/fetchers';
import {
  createStreamController,
  type StreamOptions,
  type StreamStatus,
} from '../client/streamController';
import { useFetchOptions } from './SeqlineProvider';

/** Options for `useMessageStream`: the stream controller's (its status is returned), plus `enabled`. */
export interface UseMessageStreamOptions extends Omit<StreamOptions, 'onStatus'> {
  /**
   * Subscribe only while true.
   * @default true
   */
  enabled?: boolean;
}

/** What `useMessageStream` returns. */
export interface UseMessageStreamResult {
  /**
   * `'connecting'`, `'open'` or `'closed'` (waiting to reconnect, or disabled).
   * It changes with the connection only: events do not re-render the caller.
   */
  status: StreamStatus;
}

/**
 * Streams a conversation's events into its timeline: each event is
 * validated and applied (invalid ones go to `onError` and change nothing),
 * a dropped stream resumes after the last `id:` (Last-Event-ID), and when a
 * gap appears exactly the missing range is fetched. The work is
 * `createStreamController` (seqline/client); this hook starts it while
 * mounted and enabled.
 *
 * @example
 * useMessageStream('c1', { baseUrl: '/api', onError: console.error });
 */
export function useMessageStream(
  conversationId: string,
  ownOptions: UseMessageStreamOptions = {},
): UseMessageStreamResult {
  const options = useFetchOptions(ownOptions);
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<StreamStatus>('closed');
  const latest = useRef<StreamOptions>(options);
  // The status is the hook's state; the controller's other options are the caller's.
  latest.current = { ...options, onStatus: setStatus };
  const enabled = options.enabled ?? true;
  const url = options.url ?? `${conversationUrl(conversationId, options)}/stream`;

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new `url` restarts the stream; other options are read when used.
  useEffect(() => {
    if (!enabled) return;
    const stream = createStreamController(queryClient, conversationId, () => latest.current);
    stream.start();
    return () => stream.stop();
  }, [queryClient, conversationId, url, enabled]);

  return { status };
}
