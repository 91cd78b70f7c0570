// @vitest-environment jsdom
/**
 * Side by side, one scenario: a reply whose connection drops 3 times
 * mid-stream, with the AI SDK's mock model.
 *
 * - plain `useChat` (`DefaultChatTransport`) on the AI SDK's documented
 *   resumable-stream server: `toUIMessageStreamResponse({ consumeSseStream })`
 *   keeps the active stream, `GET {api}/:id/stream` replays it from its
 *   beginning while it is active (204 once it finished), and the app calls
 *   `resumeStream()` after each disconnect. The `resumable-stream` package
 *   (Redis) is replaced by the same replay-from-start semantics in memory;
 * - `useChat` on `createSeqlineChatTransport` over `createAiRoutes`.
 *
 * What it shows on ai 6.0.325 / @ai-sdk/react 3.0.328 (the assertions pin it):
 *
 * - `useChat({ transport })` DUPLICATES the text: each resume's replay is
 *   appended to the partial reply. The cause: `useChat` wraps the transport
 *   in `{ sendMessages, reconnectToStream }` and so drops its
 *   `resumeStreamIsReplay` flag, and `Chat` only resets the message on a
 *   replay's first `start` chunk when that flag is set.
 * - The same `Chat` given to `useChat({ chat })` keeps the flag and resumes
 *   exactly: the SDK's replay logic is right, the hook loses it.
 * - Either way each drop is a `status: 'error'` the app must notice and
 *   resume itself, and a drop after the model finished loses the rest of the
 *   reply (the recipe answers 204: nothing active to resume).
 * - seqline's transport reconnects inside the one stream (`useChat` never sees
 *   an error) and resumes from the stored reply whenever the drop happened.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Chat, useChat } from '@ai-sdk/react';
import { act, renderHook } from '@testing-library/react';
import {
  convertToModelMessages,
  DefaultChatTransport,
  streamText,
  UI_MESSAGE_STREAM_HEADERS,
  type UIMessage,
} from 'ai';
import { describe, expect, it } from 'vitest';
import { createSeqlineChatTransport } from '../../src/ai/index';
import { createMemoryMessageStore, toNodeHandler } from '../../src/server/index';
import {
  closeAfterTest,
  closeServer,
  droppingFetch,
  eventually,
  OUTPUT,
  scriptedModel,
  startAiServer,
  textOf,
} from './support';

/** The AI SDK's resumable-stream recipe, in memory: the active stream per chat, replayed from its start. */
/** Chat ids whose model stream the recipe's server has consumed to the end. */
const finished = new Set<string>();

async function startSdkServer(model = scriptedModel(OUTPUT, 8)) {
  const active = new Map<string, { chunks: string[]; done: boolean; wake: Set<() => void> }>();
  const handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (request.method === 'POST' && url.pathname === '/api/chat') {
      const { id, messages } = (await request.json()) as { id: string; messages: UIMessage[] };
      const result = streamText({ model, messages: await convertToModelMessages(messages) });
      return result.toUIMessageStreamResponse({
        originalMessages: messages,
        consumeSseStream: async ({ stream }) => {
          const entry = { chunks: [] as string[], done: false, wake: new Set<() => void>() };
          active.set(id, entry);
          for await (const chunk of stream) {
            entry.chunks.push(chunk);
            for (const wake of entry.wake) wake();
          }
          entry.done = true;
          for (const wake of entry.wake) wake();
          active.delete(id); // the recipe clears the chat's activeStreamId when the reply finishes
          finished.add(id);
        },
      });
    }
    const resume = /^\/api\/chat\/([^/]+)\/stream$/.exec(url.pathname);
    const entry = resume && active.get(decodeURIComponent(resume[1]!));
    if (request.method === 'GET' && resume) {
      if (!entry) return new Response(null, { status: 204 });
      let sent = 0;
      let wake = () => {};
      const body = new ReadableStream<string>({
        start(out) {
          wake = () => {
            while (sent < entry.chunks.length) out.enqueue(entry.chunks[sent++]!);
            if (entry.done) {
              entry.wake.delete(wake);
              out.close();
            }
          };
          entry.wake.add(wake);
          wake();
        },
        cancel: () => {
          entry.wake.delete(wake);
        },
      });
      return new Response(body.pipeThrough(new TextEncoderStream()), {
        headers: UI_MESSAGE_STREAM_HEADERS,
      });
    }
    return new Response('not found', { status: 404 });
  };
  const server = createServer(toNodeHandler(handle));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closeAfterTest(() => closeServer(server));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('a reply dropped 3 times mid-stream, side by side', () => {
  /** Sends one prompt through plain useChat on the recipe's server, resuming after each of 3 drops as an app must. */
  async function sdkDroppedThreeTimes(
    makeHook: (transport: DefaultChatTransport<UIMessage>) => () => ReturnType<typeof useChat>,
  ) {
    const base = await startSdkServer();
    const drops = droppingFetch(3, 4, /\/api\/chat/);
    const transport = new DefaultChatTransport({ api: `${base}/api/chat`, fetch: drops.fetch });
    const { result } = renderHook(makeHook(transport));
    await act(() => result.current.sendMessage({ text: 'go' }));
    let errors = 0;
    for (; errors < 5 && result.current.status === 'error'; errors++) {
      await act(() => result.current.resumeStream());
    }
    await eventually(() => expect(result.current.status).toBe('ready'));
    expect(drops.state.dropped).toBe(3);
    expect(errors).toBe(3);
    const assistants = result.current.messages.filter((m) => m.role === 'assistant');
    expect(assistants).toHaveLength(1);
    return textOf(assistants[0]);
  }

  it("plain useChat({ transport }) + the SDK's resume: the text is duplicated, and 3 errors to resume by hand", async () => {
    const text = await sdkDroppedThreeTimes(
      (transport) => () => useChat({ id: 'sdk-hook', transport, onError: () => {} }),
    );
    // Every replay is appended to what the drops left: the partial text, then the whole reply again.
    expect(text.length).toBeGreaterThan(OUTPUT.length);
    expect(text.endsWith(OUTPUT)).toBe(true);
    // The reply's first words, once per replay and once more for the partial text before the first drop (4 seen here).
    expect(text.split('tøken 0').length - 1).toBeGreaterThanOrEqual(2);
  });

  it("the same through useChat({ chat }): the SDK's replay is exact when the flag survives", async () => {
    const text = await sdkDroppedThreeTimes((transport) => {
      const chat = new Chat({ id: 'sdk-chat', transport, onError: () => {} });
      return () => useChat({ chat });
    });
    expect(text).toBe(OUTPUT);
  });

  it("plain useChat + the SDK's resume: a drop after the model finished loses the rest of the reply", async () => {
    // Pieces 5 ms apart, so the first two reads cannot hold the whole reply even when a loaded
    // machine coalesces reads (with no delay they sometimes did, and nothing was lost).
    const base = await startSdkServer(scriptedModel(OUTPUT, 5));
    // The connection breaks early, and the app's resume comes after the model is done.
    const drops = droppingFetch(1, 2, /\/api\/chat$/);
    const transport = new DefaultChatTransport({ api: `${base}/api/chat`, fetch: drops.fetch });
    const { result } = renderHook(() => useChat({ id: 'sdk-late', transport, onError: () => {} }));
    await act(() => result.current.sendMessage({ text: 'go' }));
    expect(result.current.status).toBe('error');
    await eventually(() => expect(finished.has('sdk-late')).toBe(true));
    await act(() => result.current.resumeStream());
    expect(result.current.status).toBe('ready');
    const text = textOf(result.current.messages.at(-1));
    expect(text.length).toBeLessThan(OUTPUT.length);
    expect(OUTPUT.startsWith(text)).toBe(true);
  });

  it('useChat on seqline: exactly the model output, no error, however late the reconnect', async () => {
    const store = createMemoryMessageStore();
    for (const [delayMs, reconnectDelayMs] of [
      [8, 20],
      [0, 200], // the model is done before the client reconnects
    ] as const) {
      const server = await startAiServer(store, scriptedModel(OUTPUT, delayMs));
      closeAfterTest(server.close);
      const drops = droppingFetch(3, delayMs === 0 ? 1 : 4);
      const transport = createSeqlineChatTransport({
        baseUrl: server.base,
        fetch: drops.fetch,
        reconnectDelayMs,
      });
      const errors: Error[] = [];
      const id = `seqline-${delayMs}`;
      const { result, unmount } = renderHook(() =>
        useChat({ id, transport, onError: (error) => errors.push(error) }),
      );
      await act(() => result.current.sendMessage({ text: 'go' }));
      await eventually(() => expect(result.current.status).toBe('ready'));
      expect(errors).toEqual([]);
      expect(drops.state.dropped).toBeGreaterThanOrEqual(1);
      expect(textOf(result.current.messages.at(-1))).toBe(OUTPUT);
      unmount();
    }
  });
});
