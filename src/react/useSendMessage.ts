import { useIsMutating, useMutation, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import {
  addOptimistic,
  confirmOptimistic,
  createClientId,
  discardOptimistic,
  failOptimistic,
  type MessageRole,
  mergeMessages,
} from '../index';
import { getConversationStore } from './conversationStore';
import {
  createPostMessage,
  type FetchOptions,
  type PostMessage,
  type PostMessageParams,
  type PostMessageResult,
} from './fetchers';

/** Options for `useSendMessage`. */
export interface UseSendMessageOptions extends FetchOptions {
  /**
   * Sends one message.
   * @default createPostMessage(options): POST {baseUrl}/conversations/:id/messages
   */
  postMessage?: PostMessage;
  /** Called when a send fails; the message is already marked failed, with `retry`. */
  onError?: (error: Error, clientId: string) => void;
  /** Called with the server's answer once a message is confirmed. */
  onSuccess?: (result: PostMessageResult, clientId: string) => void;
}

/** What to send: the text, or a draft with a role and extra fields. */
export type SendInput =
  | string
  | {
      content: string;
      /** @default 'user' */
      role?: MessageRole;
      /** @default createClientId() */
      clientId?: string;
      /** Shown only; the order never depends on the client clock. @default now */
      createdAt?: string;
      /** Extra fields (attachments, metadata, …): shown at once and sent in the POST body. */
      [extra: string]: unknown;
    };

/** What `useSendMessage` returns. */
export interface UseSendMessageResult {
  /** Shows the message at once (optimistic) and sends it; returns its `clientId` (its React key). */
  send: (input: SendInput) => string;
  /** Re-sends a failed message with the same `clientId`, so the server stores it once. */
  retry: (clientId: string) => void;
  /** Removes a failed (unconfirmed) message. */
  discard: (clientId: string) => void;
  /** True while at least one send is in flight. */
  isPending: boolean;
  /** The last failed send's error. */
  error: Error | null;
}

/**
 * Sends messages optimistically: each appears at once with a `clientId`,
 * is confirmed in place by the server's answer (same key, so its row is not
 * remounted), or is marked failed with a `retry` that re-sends the same
 * `clientId` — the POST is idempotent on it, so a retry never duplicates.
 * Sends may overlap; each keeps its slot.
 *
 * @example
 * const { send } = useSendMessage('c1', { baseUrl: '/api' });
 * <form onSubmit={() => send(text)} />
 */
export function useSendMessage(
  conversationId: string,
  options: UseSendMessageOptions = {},
): UseSendMessageResult {
  const store = getConversationStore(useQueryClient(), conversationId);
  const postMessage = options.postMessage ?? createPostMessage(options);
  const mutationKey = ['seqline', 'send', conversationId];
  const inFlight = useIsMutating({ mutationKey });
  const mutation = useMutation<PostMessageResult, Error, PostMessageParams>({
    mutationKey,
    mutationFn: (params) => postMessage(params),
    onSuccess(result, { clientId }) {
      store.setRetry(clientId, undefined);
      store.update((t) => confirmOptimistic(t, clientId, result.message));
      if (result.reply !== undefined) store.update((t) => mergeMessages(t, [result.reply]));
      options.onSuccess?.(result, clientId);
    },
    onError(error, params) {
      store.setRetry(params.clientId, () => resend(params));
      store.update((t) => failOptimistic(t, params.clientId, error.message));
      options.onError?.(error, params.clientId);
    },
  });
  const { mutate } = mutation;
  const resend = (params: PostMessageParams) => {
    store.update((t) =>
      addOptimistic(t, {
        ...params.extra,
        clientId: params.clientId,
        content: params.content,
        role: params.role,
      }),
    );
    mutate(params);
  };

  const send = useCallback(
    (input: SendInput) => {
      const draft = typeof input === 'string' ? { content: input } : input;
      const { clientId = createClientId(), content, role = 'user', createdAt, ...extra } = draft;
      store.update((t) =>
        addOptimistic(t, { ...extra, clientId, content, role: role as MessageRole, createdAt }),
      );
      mutate({ conversationId, clientId, role: role as MessageRole, content, extra });
      return clientId;
    },
    [store, mutate, conversationId],
  );
  const retry = useCallback((clientId: string) => store.getRetry(clientId)?.(), [store]);
  const discard = useCallback(
    (clientId: string) => {
      store.setRetry(clientId, undefined);
      store.update((t) => discardOptimistic(t, clientId));
    },
    [store],
  );
  return { send, retry, discard, isPending: inFlight > 0, error: mutation.error };
}
