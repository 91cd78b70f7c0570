/** A seqline server with `createAiRoutes` on the AI SDK's own mock model, and a fetch that drops streams. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { streamText, type UIMessage } from 'ai';
import { MockLanguageModelV3, simulateReadableStream } from 'ai/test';
import { afterEach } from 'vitest';
import { type AiRoutes, type AiRoutesOptions, createAiRoutes } from '../../src/ai/index';
import type { MessageBus, MessageStore } from '../../src/server/index';
import { toNodeHandler } from '../../src/server/index';

/** A part of the model's stream (the provider's `LanguageModelV3StreamPart`, which `ai` does not re-export). */
export type StreamPart =
  Awaited<ReturnType<MockLanguageModelV3['doStream']>>['stream'] extends ReadableStream<infer T>
    ? T
    : never;

/** The model's whole output: multi-byte characters and an emoji (2 UTF-16 units) included. */
export const OUTPUT = Array.from({ length: 40 }, (_, i) => `tøken ${i} 🚀, `).join('');

/** OUTPUT cut into the pieces the model streams. */
export function pieces(text: string, size = 7): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** The AI SDK's mock model streaming `text` in pieces, `delayMs` apart. */
export function scriptedModel(text = OUTPUT, delayMs = 5): MockLanguageModelV3 {
  return new MockLanguageModelV3({
    doStream: async () => ({
      stream: simulateReadableStream<StreamPart>({
        chunks: [
          { type: 'stream-start', warnings: [] },
          { type: 'text-start', id: 't' },
          ...pieces(text).map((delta): StreamPart => ({ type: 'text-delta', id: 't', delta })),
          { type: 'text-end', id: 't' },
          {
            type: 'finish',
            finishReason: { unified: 'stop', raw: 'stop' },
            usage: {
              inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
              outputTokens: { total: 1, text: 1, reasoning: 0 },
            },
          },
        ],
        chunkDelayInMs: delayMs,
      }),
    }),
  });
}

export interface AiServer {
  base: string;
  routes: AiRoutes;
  close(): Promise<void>;
}

/** `createAiRoutes` over `store` (and `bus`), streaming `model`, on a loopback port. */
export async function startAiServer(
  store: MessageStore,
  model: MockLanguageModelV3,
  extra: Partial<AiRoutesOptions> & { bus?: MessageBus } = {},
): Promise<AiServer> {
  const routes = createAiRoutes({
    store,
    authorize: () => true,
    generate: ({ message, abortSignal }) =>
      streamText({ model, prompt: message.content, abortSignal }),
    ...extra,
  });
  const server = createServer(toNodeHandler(routes.handle));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    routes,
    close: () => closeServer(server),
  };
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * A fetch whose stream responses (SSE) break `drops` times, each time after
 * `afterChunks` body chunks, with the TypeError a browser's fetch gives for
 * a lost connection; the server sees the socket go.
 */
export function droppingFetch(drops: number, afterChunks = 6, match = /\/stream\b/) {
  const state = { dropped: 0 };
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    const { signal, ...rest } = init ?? {};
    const controller = new AbortController();
    // jsdom's AbortSignal is not Node's: forward it by hand.
    signal?.addEventListener('abort', () => controller.abort(), { once: true });
    if (signal?.aborted) controller.abort();
    const response = await globalThis.fetch(url, { ...rest, signal: controller.signal });
    if (!match.test(url) || !response.body || state.dropped >= drops) return response;
    const reader = response.body.getReader();
    let seen = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(out) {
        const next = await reader.read().catch(() => ({ done: true as const, value: undefined }));
        if (next.done) return out.close();
        out.enqueue(next.value);
        if (++seen >= afterChunks && state.dropped < drops) {
          state.dropped++;
          controller.abort();
          out.error(new TypeError('network error'));
        }
      },
      cancel: () => controller.abort(),
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };
  return { fetch, state };
}

/** Waits until `check` passes (polling), or throws its last error after `timeoutMs`. */
export async function eventually(
  check: () => void | Promise<void>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** A UIMessage's text parts, joined. */
export const textOf = (message: UIMessage | undefined) =>
  (message?.parts ?? []).map((part) => (part.type === 'text' ? part.text : '')).join('');

const closers: (() => Promise<void>)[] = [];
/** Closes `close` (a server) after the current test. */
export function closeAfterTest(close: () => Promise<void>): void {
  closers.push(close);
}
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});
