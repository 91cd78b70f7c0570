import type { UIMessageChunk } from 'ai';
import { SeqlineError } from '../core/errors';
import type { ReplyWriter } from '../server/bus/createReplyWriter';
import { type AiPart, createPartsCollector, STOPPED } from './parts';

/**
 * What {@link pipeToReply} reads: an AI SDK `streamText(...)` result (anything
 * with `toUIMessageStream()`), a UI message stream, or a text stream
 * (`result.textStream`, or any stream / async iterable of strings).
 */
export type ReplySource =
  | {
      toUIMessageStream(options?: {
        onError?: (error: unknown) => string;
      }): ReadableStream<UIMessageChunk>;
    }
  | ReadableStream<UIMessageChunk | string>
  | AsyncIterable<UIMessageChunk | string>;

/** Options of {@link pipeToReply}. */
export interface PipeToReplyOptions {
  /**
   * Stops reading: the reply ends `failed` with `error: 'stopped'`. Pass the
   * same signal to `streamText({ abortSignal })` so the model call stops too.
   */
  signal?: AbortSignal;
  /**
   * Publishes the reply's finished non-text parts (reasoning, tool calls) as
   * its `parts` field. `createAiRoutes` publishes them on the bus.
   * @default parts are dropped
   */
  publishParts?: (parts: AiPart[]) => Promise<void>;
  /**
   * The text a model error leaves in the reply's `error` (what every client
   * sees). Only for a `streamText` result.
   * @default the AI SDK's masked "An error occurred."
   */
  errorText?: (error: unknown) => string;
}

/** How the reply ended. */
export interface PipeResult {
  status: 'complete' | 'failed';
  /** Why it failed: the stream's error text, or `'stopped'`. */
  error?: string;
}

/**
 * Streams an AI SDK reply into a seqline reply: every text delta is appended
 * at its offset (persisted and published by the writer), reasoning and tool
 * parts are published as the message's `parts` when each finishes, the end
 * of the stream completes the reply, and an error, an `abort` chunk or the
 * `signal` fails it with the reason. Resolves once the reply is final;
 * throws only when the writer cannot persist (the reply stays open then).
 *
 * @example
 * onMessage: async ({ message, writer }) => {
 *   if (!writer) return;
 *   const result = streamText({ model, prompt: message.content });
 *   await pipeToReply(result, writer);
 * }
 */
export async function pipeToReply(
  source: ReplySource,
  writer: ReplyWriter,
  options: PipeToReplyOptions = {},
): Promise<PipeResult> {
  const { signal } = options;
  const chunks = openSource(source, options.errorText);
  const collector = createPartsCollector();
  let failure: string | undefined;
  let stopped = signal?.aborted === true;
  const onAbort = () => {
    stopped = true;
    void chunks.cancel();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (!stopped) await writer.start();
    while (!stopped && failure === undefined) {
      let next: ReadableStreamReadResult<UIMessageChunk | string>;
      try {
        next = await chunks.read();
      } catch (error) {
        if (stopped) break;
        failure = error instanceof Error ? error.message : String(error);
        break;
      }
      if (next.done) break;
      const chunk = next.value;
      if (typeof chunk === 'string') {
        await writer.append(chunk);
      } else if (chunk.type === 'text-delta') {
        await writer.append(chunk.delta);
      } else if (chunk.type === 'error') {
        failure = chunk.errorText;
      } else if (chunk.type === 'abort') {
        stopped = true;
      } else if (collector.take(chunk) && options.publishParts) {
        await options.publishParts([...collector.parts]);
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (stopped || failure !== undefined) {
    void chunks.cancel();
    const error = failure ?? STOPPED;
    await writer.fail(error);
    return { status: 'failed', error };
  }
  await writer.complete();
  return { status: 'complete' };
}

// ---------------------------------------------------------------------------

interface ChunkReader {
  read(): Promise<ReadableStreamReadResult<UIMessageChunk | string>>;
  cancel(): Promise<void>;
}

function openSource(source: ReplySource, errorText?: (error: unknown) => string): ChunkReader {
  if (source && typeof source === 'object' && 'toUIMessageStream' in source) {
    return readerOf(source.toUIMessageStream(errorText ? { onError: errorText } : undefined));
  }
  if (source instanceof ReadableStream) return readerOf(source);
  if (source && typeof source === 'object' && Symbol.asyncIterator in source) {
    const iterator = source[Symbol.asyncIterator]();
    return {
      read: async () => {
        const next = await iterator.next();
        return next.done ? { done: true, value: undefined } : { done: false, value: next.value };
      },
      cancel: async () => {
        await iterator.return?.();
      },
    };
  }
  throw new SeqlineError(
    '[seqline] [ai] pipeToReply takes a streamText() result, a UI message stream or a text stream (result.textStream)',
  );
}

function readerOf(stream: ReadableStream<UIMessageChunk | string>): ChunkReader {
  const reader = stream.getReader();
  return {
    read: () => reader.read(),
    cancel: () => reader.cancel().catch(() => undefined),
  };
}
