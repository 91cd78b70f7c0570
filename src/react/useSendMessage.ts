import { useIsMutating, useMutation, useMutationState } from '@tanstack/react-query';
import { useCallback, useEffect } from 'react';
import type { ConversationStore } from '../client/conversationStore';
import {
  createPostMessage,
  type FetchOptions,
  type PostMessage,
  type PostMessageParams,
  type PostMessageResult,
} from '../client/fetchers';
import { defaultOutbox, type Outbox, type OutboxEntry } from '../client/outbox';
import { type SendRetryOptions, sendRetry } from '../client/sendRetry';
import { warn } from '../core/warn';
import {
  addOptimistic,
  confirmOptimistic,
  createClientId,
  discardOptimistic,
  failOptimistic,
  type MessageRole,
  mergeMessages,
} from '../index';
import { useFetchOptions } from './SeqlineProvider';
import { useConversationStore } from './useConversationStore';

/** Options for `useSendMessage`. */
export interface UseSendMessageOptions extends FetchOptions {
  /**
   * Sends one message.
   * @default createPostMessage(options): POST {baseUrl}/conversations/:id/messages
   */
  postMessage?: PostMessage;
  /**
   * Retries of transient failures (network, 408, 429, 5xx), with backoff and
   * the same clientId; `false` marks the message failed at the first error.
   * @default { attempts: 5 }, 500 ms doubling to 15 s, Retry-After honoured
   */
  retry?: SendRetryOptions | false;
  /**
   * Where sends the server has not acknowledged yet are kept, so a reload
   * shows them again (pending, in their place) and sends them, once each.
   * `false` keeps them in the page only.
   * @default createWebStorageOutbox(localStorage) in a browser, else a memory outbox
   */
  outbox?: Outbox | false;
  /** Called when a send fails for good; the message is already marked failed, with `retry`. */
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
  /**
   * Re-sends a failed message with the same `clientId`, so the server stores it once. It is a
   * new send: it moves after everything and is stored after the messages sent before it.
   */
  retry: (clientId: string) => void;
  /** Removes a failed (unconfirmed) message. */
  discard: (clientId: string) => void;
  /** True while at least one send is queued, in flight or being retried. */
  isPending: boolean;
  /** The error of the newest send that failed for good and is still shown as failed. */
  error: Error | null;
}

/**
 * Sends messages optimistically: each appears at once with a `clientId` and
 * is confirmed in place by the server's answer (same key, so its row is not
 * remounted).
 *
 * One conversation's sends leave one after another, in `send()` order (a
 * TanStack Query mutation scope): the server numbers messages as they
 * arrive, so this is what makes the stored order the order the user sent,
 * whatever the network does. A transient failure is retried with the same
 * `clientId` (the POST is idempotent on it) while the messages behind it
 * wait; a permanent one marks the message failed where it is shown, and
 * the next ones go on. `retry(clientId)` sends it again as a new send: it
 * moves after everything, and is stored after the messages sent before the
 * retry. Unacknowledged sends are kept in an outbox, so a reload shows them
 * again and sends them, once each.
 *
 * @example
 * const { send } = useSendMessage('c1', { baseUrl: '/api' });
 * <form onSubmit={() => send(text)} />
 */
export function useSendMessage(
  conversationId: string,
  ownOptions: UseSendMessageOptions = {},
): UseSendMessageResult {
  const options = useFetchOptions(ownOptions);
  const store = useConversationStore(conversationId);
  const postMessage = options.postMessage ?? createPostMessage(options);
  const outbox = options.outbox === false ? undefined : (options.outbox ?? defaultOutbox());
  const mutationKey = ['seqline', 'send', conversationId];
  const inFlight = useIsMutating({ mutationKey });
  const failed = useMutationState({
    filters: { mutationKey, status: 'error' },
    select: (mutation) => mutation.state as { error: Error; variables: PostMessageParams },
  });
  const { mutate } = useMutation<PostMessageResult, Error, PostMessageParams>({
    mutationKey,
    // Runs this conversation's sends one at a time, in the order they were made.
    scope: { id: `seqline:send:${conversationId}` },
    // Offline (TanStack Query's onlineManager), sends wait, in order, and go when back online.
    ...sendRetry(options.retry),
    mutationFn: (params) => {
      // Discarded while it waited for the messages before it: never sent.
      if (!store.getTimeline().get(params.clientId)) throw new DiscardedSend();
      return postMessage(params);
    },
    onSuccess(result, params) {
      store.setRetry(params.clientId, undefined);
      // The reply first: a later pending send then already sorts below it.
      store.update((t) => {
        const withReply = result.reply === undefined ? t : mergeMessages(t, [result.reply]);
        return confirmOptimistic(withReply, params.clientId, result.message);
      });
      if (outbox) keep(() => outbox.remove(conversationId, params.clientId));
      options.onSuccess?.(result, params.clientId);
    },
    onError(error, params) {
      if (error instanceof DiscardedSend) return;
      store.setRetry(params.clientId, () => resend(params));
      store.update((t) => failOptimistic(t, params.clientId, error.message));
      if (outbox) keep(() => outbox.save({ ...outboxEntry(store, params), error: error.message }));
      options.onError?.(error, params.clientId);
    },
  });
  const enqueue = (params: PostMessageParams) => {
    if (outbox) keep(() => outbox.save(outboxEntry(store, params)));
    mutate(params);
  };
  const resend = (params: PostMessageParams) => {
    store.update((t) =>
      addOptimistic(t, {
        ...params.extra,
        clientId: params.clientId,
        content: params.content,
        role: params.role,
      }),
    );
    enqueue(params);
  };

  // After a reload: show what was not acknowledged, in its order, and send it again.
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per store; mutate is stable.
  useEffect(() => {
    if (!outbox || restored.has(store)) return;
    restored.add(store);
    whenLoaded(outbox.load(conversationId), (entries) => {
      for (const entry of [...entries].sort((a, b) => a.order - b.order)) {
        lastOrder = Math.max(lastOrder, entry.order);
        const params = paramsOf(entry);
        try {
          store.update((t) => {
            const shown = addOptimistic(t, {
              ...entry.extra,
              clientId: entry.clientId,
              content: entry.content,
              role: entry.role,
              createdAt: entry.createdAt,
            });
            return entry.error === undefined
              ? shown
              : failOptimistic(shown, entry.clientId, entry.error);
          });
        } catch (error) {
          if (process.env.NODE_ENV !== 'production')
            warn('useSendMessage', `dropped an unreadable outbox entry: ${String(error)}`);
          keep(() => outbox.remove(conversationId, entry.clientId));
          continue;
        }
        if (entry.error === undefined) mutate(params);
        else store.setRetry(entry.clientId, () => resend(params));
      }
    });
  }, [store, outbox]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: enqueue is new each render but closes over only these.
  const send = useCallback(
    (input: SendInput) => {
      const draft = typeof input === 'string' ? { content: input } : input;
      const { clientId = createClientId(), content, role = 'user', createdAt, ...extra } = draft;
      store.update((t) =>
        addOptimistic(t, { ...extra, clientId, content, role: role as MessageRole, createdAt }),
      );
      enqueue({ conversationId, clientId, role: role as MessageRole, content, extra });
      return clientId;
    },
    [store, mutate, conversationId, outbox],
  );
  const retry = useCallback((clientId: string) => store.getRetry(clientId)?.(), [store]);
  const discard = useCallback(
    (clientId: string) => {
      store.setRetry(clientId, undefined);
      store.update((t) => discardOptimistic(t, clientId));
      if (outbox) keep(() => outbox.remove(conversationId, clientId));
    },
    [store, outbox, conversationId],
  );
  // The newest failure whose message is still shown as failed (not retried, discarded or echoed).
  const error =
    failed.findLast(
      ({ variables }) => store.getTimeline().get(variables.clientId)?.status === 'failed',
    )?.error ?? null;
  return { send, retry, discard, isPending: inFlight > 0, error };
}

// ---------------------------------------------------------------------------

/** A queued send whose message was discarded before its turn came. */
class DiscardedSend extends Error {}

/** Stores whose outbox was read already (one per conversation and QueryClient, i.e. per page load). */
const restored = new WeakSet<ConversationStore>();

/** Send order across reloads, increasing even if the clock steps back. */
let lastOrder = 0;

function outboxEntry(store: ConversationStore, params: PostMessageParams): OutboxEntry {
  const shown = store.getTimeline().get(params.clientId);
  lastOrder = Math.max(Date.now(), lastOrder + 1);
  return {
    conversationId: params.conversationId,
    clientId: params.clientId,
    role: params.role,
    content: params.content,
    ...(params.extra && Object.keys(params.extra).length > 0 ? { extra: params.extra } : {}),
    createdAt: shown?.createdAt ?? new Date().toISOString(),
    order: lastOrder,
  };
}

function paramsOf(entry: OutboxEntry): PostMessageParams {
  const { conversationId, clientId, role, content, extra } = entry;
  return { conversationId, clientId, role, content, ...(extra ? { extra } : {}) };
}

function whenLoaded<T>(value: T | Promise<T>, then: (value: T) => void): void {
  if (value instanceof Promise) value.then(then, (error) => warnOutbox(error));
  else then(value);
}

/** Runs an outbox write; a failing storage (quota, privacy mode) never stops a send. */
function keep(write: () => void | Promise<void>): void {
  try {
    const done = write();
    if (done instanceof Promise) done.catch(warnOutbox);
  } catch (error) {
    warnOutbox(error);
  }
}

function warnOutbox(error: unknown): void {
  if (process.env.NODE_ENV !== 'production')
    warn('useSendMessage', `the outbox could not be read or written: ${String(error)}`);
}
