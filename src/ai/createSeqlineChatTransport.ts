import type { ChatTransport, UIMessage, UIMessageChunk } from 'ai';
import { createFetchEventSource, type EventSourceLike } from '../client/eventSource';
import type { FetchOptions } from '../client/fetchers';
import { SeqlineError } from '../core/errors';
import { type Message, parseMessage, parseStreamEvent, type StreamEvent } from '../core/schemas';
import { type AiPart, STOPPED } from './parts';
import { toUIMessage } from './uiMessages';

/** Options of {@link createSeqlineChatTransport}: where seqline's routes are, and how to reach them. */
export interface SeqlineChatTransportOptions extends FetchOptions {
  /**
   * Milliseconds before reconnecting a dropped stream.
   * @default the server's `retry:`, else 1000
   */
  reconnectDelayMs?: number;
  /**
   * Times a send is retried (network error, 408, 429, 5xx) with the same
   * `clientId`, so it is stored once.
   * @default 4
   */
  sendRetries?: number;
}

/** A `ChatTransport` for `useChat` over seqline's wire protocol. */
export type SeqlineChatTransport = ChatTransport<UIMessage> & {
  readonly resumeStreamIsReplay: true;
};

/**
 * A `ChatTransport` for the AI SDK's `useChat` over seqline's wire protocol
 * (`createAiRoutes` on the server). `useChat`'s `id` is the conversation id.
 *
 * - **Send order, idempotent:** the last user message is posted with its
 *   `UIMessage` id as `clientId`, one send at a time per conversation, and
 *   retried with the same `clientId`; the server numbers it.
 * - **Resume without duplicates:** the reply streams over SSE; a dropped
 *   connection reconnects with `Last-Event-ID` inside the same stream, and
 *   text is taken by offset, so `useChat` sees every character once.
 *   `reconnectToStream` (`useChat({ resume: true })`) replays an unfinished
 *   reply from its stored content.
 * - **Stop:** `stop()` posts `…/stop` with the reply's sequence; the server
 *   aborts the model call, also on a resumed stream.
 *
 * @example
 * const transport = createSeqlineChatTransport({ baseUrl: '/api' });
 * const { messages, sendMessage, stop } = useChat({ id: conversationId, transport });
 */
export function createSeqlineChatTransport(
  options: SeqlineChatTransportOptions = {},
): SeqlineChatTransport {
  const base = options.baseUrl ?? '';
  const doFetch = (url: string, init: RequestInit) =>
    (options.fetch ?? globalThis.fetch)(url, {
      ...init,
      headers: { ...options.headers, ...(init.headers as Record<string, string>) },
    });
  const openSource = createFetchEventSource(options);
  const { reconnectDelayMs } = options;
  const sendRetries = options.sendRetries ?? 4;
  const queues = new Map<string, Promise<unknown>>();
  const path = (conversationId: string, tail: string) =>
    `${base}/conversations/${encodeURIComponent(conversationId)}/${tail}`;

  /** Runs `work` after the conversation's previous send has its answer: the server sees sends in send order. */
  const inOrder = <T>(conversationId: string, work: () => Promise<T>): Promise<T> => {
    const previous = queues.get(conversationId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    queues.set(conversationId, next);
    void next
      .finally(() => {
        if (queues.get(conversationId) === next) queues.delete(conversationId);
      })
      .catch(() => undefined);
    return next;
  };

  const post = async (conversationId: string, clientId: string, content: string) => {
    for (let attempt = 0; ; attempt++) {
      let response: Response | undefined;
      try {
        response = await doFetch(path(conversationId, 'messages'), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ clientId, content }),
        });
      } catch (error) {
        if (attempt >= sendRetries) throw error;
      }
      if (response?.ok) {
        const body = (await response.json()) as { message: unknown; reply?: unknown };
        return {
          message: parseMessage(body.message),
          reply: body.reply === undefined ? undefined : parseMessage(body.reply),
        };
      }
      if (
        response &&
        !(response.status === 408 || response.status === 429 || response.status >= 500)
      ) {
        throw new SeqlineError(
          `[seqline] [ai] the send was refused (${response.status}): ${await response.text()}`,
        );
      }
      if (attempt >= sendRetries) {
        throw new SeqlineError(
          `[seqline] [ai] the send failed after ${attempt + 1} tries (${response?.status ?? 'network error'})`,
        );
      }
      await sleep(250 * 2 ** attempt);
    }
  };

  const stop = (conversationId: string, reply: Message) =>
    doFetch(path(conversationId, 'stop'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sequence: reply.sequence }),
      keepalive: true,
    }).catch(() => undefined);

  /** The reply as `UIMessageChunk`s, from the first character, over a stream that reconnects by `Last-Event-ID`. */
  const replyChunks = (conversationId: string, reply: Message, signal: AbortSignal | undefined) => {
    let source: EventSourceLike | undefined;
    let cursor: string | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let ended = false;
    let text = '';
    let textOpen = false;
    const waiting = new Map<number, string>();
    const emittedParts = new Map<string, string>();
    let output!: ReadableStreamDefaultController<UIMessageChunk>;

    const close = () => {
      ended = true;
      clearTimeout(timer);
      source?.close();
      signal?.removeEventListener('abort', onAbort);
    };
    const emit = (chunk: UIMessageChunk) => {
      try {
        output.enqueue(chunk);
      } catch {
        close(); // the reader went away
      }
    };
    const appendText = (more: string) => {
      if (more === '') return;
      if (!textOpen) emit({ type: 'text-start', id: 'text' });
      textOpen = true;
      text += more;
      emit({ type: 'text-delta', id: 'text', delta: more });
    };
    const applyDelta = (offset: number, delta: string) => {
      if (offset > text.length) {
        waiting.set(offset, delta);
        return;
      }
      appendText(delta.slice(text.length - offset));
      for (const [at, later] of waiting) {
        if (at <= text.length) {
          waiting.delete(at);
          applyDelta(at, later);
          return;
        }
      }
    };
    const applyParts = (parts: unknown) => {
      if (!Array.isArray(parts)) return;
      (parts as AiPart[]).forEach((part, index) => {
        const key = 'toolCallId' in part ? part.toolCallId : `reasoning-${index}`;
        const json = JSON.stringify(part);
        if (emittedParts.get(key) === json) return;
        emittedParts.set(key, json);
        for (const chunk of partChunks(part, key)) emit(chunk);
      });
    };
    const end = async (status: 'complete' | 'failed', error: string | undefined) => {
      if (ended) return;
      close();
      if (waiting.size > 0) {
        // A delta went missing before the end: the stored reply has the whole text.
        const stored = await fetchReply(conversationId, reply).catch(() => undefined);
        if (stored && stored.content.length > text.length)
          appendText(stored.content.slice(text.length));
      }
      if (textOpen) emit({ type: 'text-end', id: 'text' });
      if (status === 'complete') emit({ type: 'finish' });
      else if (error === STOPPED) emit({ type: 'abort', reason: STOPPED });
      else emit({ type: 'error', errorText: error ?? 'the reply failed' });
      try {
        output.close();
      } catch {
        // already closed by the reader
      }
    };
    const handle = (event: StreamEvent) => {
      if (event.type === 'message') {
        if (event.message.id !== reply.id) return;
        applyParts(event.message.parts);
        if (event.message.content.length > text.length)
          appendText(event.message.content.slice(text.length));
        if (event.message.status === 'complete' || event.message.status === 'failed') {
          void end(event.message.status, event.message.error);
        }
      } else if (event.messageId === reply.id) {
        if (event.type === 'delta') applyDelta(event.offset, event.text);
        else void end(event.status, event.error);
      }
    };
    const connect = () => {
      if (ended) return;
      const url =
        path(conversationId, 'stream') +
        (cursor === undefined ? `?after=${reply.sequence! - 1}` : '');
      const current = openSource(url, { lastEventId: cursor });
      source = current;
      current.onmessage = (message) => {
        cursor = message.lastEventId || cursor;
        let event: StreamEvent;
        try {
          event = parseStreamEvent(JSON.parse(message.data));
        } catch {
          return; // not ours to judge: the next snapshot heals
        }
        handle(event);
      };
      current.onerror = () => {
        if (ended || source !== current) return;
        timer = setTimeout(connect, reconnectDelayMs ?? current.retry ?? 1000);
      };
    };
    function onAbort() {
      if (ended) return;
      close();
      void stop(conversationId, reply);
      try {
        output.close();
      } catch {
        // already closed
      }
    }

    return new ReadableStream<UIMessageChunk>({
      start(controller) {
        output = controller;
        emit({ type: 'start', messageId: reply.id, messageMetadata: toUIMessage(reply).metadata });
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        connect();
      },
      cancel() {
        close();
      },
    });
  };

  const fetchReply = async (
    conversationId: string,
    reply: Message,
  ): Promise<Message | undefined> => {
    const response = await doFetch(
      `${path(conversationId, 'messages')}?after=${reply.sequence! - 1}&limit=1`,
      {},
    );
    const { messages } = (await response.json()) as { messages: unknown[] };
    const found = messages[0] === undefined ? undefined : parseMessage(messages[0]);
    return found?.id === reply.id ? found : undefined;
  };

  return {
    resumeStreamIsReplay: true,
    async sendMessages({ chatId, messages, abortSignal, trigger }) {
      const last = messages.at(-1);
      if (trigger !== 'submit-message' || !last || last.role !== 'user') {
        throw new SeqlineError(
          '[seqline] [ai] the seqline transport sends new user messages only (sendMessage); regenerate is not supported: send the prompt again',
        );
      }
      const content = last.parts.map((part) => (part.type === 'text' ? part.text : '')).join('');
      const { reply } = await inOrder(chatId, () => post(chatId, last.id, content));
      if (!reply) {
        throw new SeqlineError(
          '[seqline] [ai] the server reserved no reply: create the routes with createAiRoutes',
        );
      }
      return replyChunks(chatId, reply, abortSignal);
    },
    async reconnectToStream({ chatId, abortSignal }) {
      const response = await doFetch(`${path(chatId, 'messages')}?limit=20`, {});
      if (!response.ok)
        throw new SeqlineError(
          `[seqline] [ai] loading the conversation answered ${response.status}`,
        );
      const { messages } = (await response.json()) as { messages: unknown[] };
      const open = messages
        .map((message) => parseMessage(message))
        .findLast(
          (message) =>
            message.role === 'assistant' &&
            (message.status === 'pending' || message.status === 'streaming'),
        );
      return open ? replyChunks(chatId, open, abortSignal) : null;
    },
  };
}

// ---------------------------------------------------------------------------

/** The chunks that rebuild one finished part in `useChat`'s message. */
function partChunks(part: AiPart, key: string): UIMessageChunk[] {
  if (part.type === 'reasoning') {
    return [
      { type: 'reasoning-start', id: key },
      { type: 'reasoning-delta', id: key, delta: part.text },
      { type: 'reasoning-end', id: key },
    ];
  }
  const toolName = part.type.slice('tool-'.length);
  const chunks: UIMessageChunk[] = [
    { type: 'tool-input-available', toolCallId: part.toolCallId, toolName, input: part.input },
  ];
  if (part.state === 'output-available') {
    chunks.push({
      type: 'tool-output-available',
      toolCallId: part.toolCallId,
      output: part.output,
    });
  } else if (part.state === 'output-error') {
    chunks.push({
      type: 'tool-output-error',
      toolCallId: part.toolCallId,
      errorText: part.errorText ?? '',
    });
  }
  return chunks;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
