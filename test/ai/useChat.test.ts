// @vitest-environment jsdom
/**
 * The AI SDK on seqline, with the SDK's own mock model (`MockLanguageModelV3`,
 * no network): a node:http server with `createAiRoutes` (`streamText` piped
 * into seqline), and `useChat` on `createSeqlineChatTransport` in jsdom.
 */
import { useChat } from '@ai-sdk/react';
import { act, renderHook } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createSeqlineChatTransport, toUIMessage } from '../../src/ai/index';
import { createMemoryBus, createMemoryMessageStore } from '../../src/server/index';
import { expectConverged, sendThenResumeElsewhere } from './clients';
import {
  closeAfterTest,
  droppingFetch,
  eventually,
  OUTPUT,
  scriptedModel,
  startAiServer,
  textOf,
} from './support';

let n = 0;
const fresh = () => `ai-${Date.now().toString(36)}-${n++}`;

describe('useChat on createSeqlineChatTransport', () => {
  it('stores rapid sends in send order, each followed by its reply', async () => {
    const store = createMemoryMessageStore();
    const server = await startAiServer(store, scriptedModel('ok', 1));
    closeAfterTest(server.close);
    const id = fresh();
    // The network holds the first send longest: without send order the server would see them backwards.
    const holds = [150, 75, 0];
    const slowFirst: typeof fetch = async (input, init) => {
      if (init?.method === 'POST') await new Promise((r) => setTimeout(r, holds.shift() ?? 0));
      return fetch(input, init);
    };
    const transport = createSeqlineChatTransport({ baseUrl: server.base, fetch: slowFirst });
    const { result } = renderHook(() => useChat({ id, transport }));
    await act(async () => {
      void result.current.sendMessage({ text: 'one' });
      void result.current.sendMessage({ text: 'two' });
      void result.current.sendMessage({ text: 'three' });
    });
    await eventually(async () => {
      const stored = await store.list(id, { limit: 10 });
      expect(stored.map((m) => [m.sequence, m.role, m.content, m.status])).toEqual([
        [1, 'user', 'one', 'complete'],
        [2, 'assistant', 'ok', 'complete'],
        [3, 'user', 'two', 'complete'],
        [4, 'assistant', 'ok', 'complete'],
        [5, 'user', 'three', 'complete'],
        [6, 'assistant', 'ok', 'complete'],
      ]);
    });
  });

  /** Sends one prompt over a stream that `droppingFetch` breaks 3 times; `wrap` may change each request. */
  async function droppedThreeTimes(
    wrap: (fetch: typeof globalThis.fetch) => typeof globalThis.fetch,
  ) {
    const store = createMemoryMessageStore();
    const server = await startAiServer(store, scriptedModel(OUTPUT, 8));
    closeAfterTest(server.close);
    const id = fresh();
    const drops = droppingFetch(3, 4);
    const transport = createSeqlineChatTransport({
      baseUrl: server.base,
      fetch: wrap(drops.fetch),
      reconnectDelayMs: 20,
    });
    const { result } = renderHook(() => useChat({ id, transport }));
    await act(() => result.current.sendMessage({ text: 'go' }));
    await eventually(() => expect(result.current.status).toBe('ready'));
    expect(drops.state.dropped).toBe(3);
    const assistants = result.current.messages.filter((m) => m.role === 'assistant');
    expect(assistants).toHaveLength(1);
    expect(textOf(assistants[0])).toBe(OUTPUT);
    expect(result.current.error).toBeUndefined();
    const [, reply] = await store.list(id, { limit: 10 });
    expect(reply?.content).toBe(OUTPUT);
  }

  it('a stream dropped 3 times mid-reply ends with exactly the model output', async () => {
    await droppedThreeTimes((fetch) => fetch);
  });

  it('…and exactly the model output when a proxy also strips the Last-Event-ID cursor', async () => {
    // Every reconnect starts over: the server sends the reply's content so far, then live deltas again.
    await droppedThreeTimes((fetch) => (input, init) => {
      const headers = { ...(init?.headers as Record<string, string>) };
      delete headers['last-event-id'];
      return fetch(input, { ...init, headers });
    });
  });

  it('stop() on a resumed stream stops the model call and marks the reply stopped', async () => {
    const store = createMemoryMessageStore();
    const model = scriptedModel(OUTPUT, 40);
    const server = await startAiServer(store, model);
    closeAfterTest(server.close);
    const id = fresh();
    const transport = createSeqlineChatTransport({ baseUrl: server.base, reconnectDelayMs: 20 });
    // The first tab sends and goes away mid-reply.
    const first = renderHook(() => useChat({ id, transport }));
    await act(async () => {
      void first.result.current.sendMessage({ text: 'go' });
    });
    await eventually(async () => {
      const [, reply] = await store.list(id, { limit: 10 });
      expect(reply?.status).toBe('streaming');
    });
    first.unmount();
    // A reload: history from the server, then useChat's resume.
    const history = (await store.list(id, { limit: 10 })).map(toUIMessage);
    const second = renderHook(() => useChat({ id, transport, messages: history, resume: true }));
    await eventually(() => {
      expect(second.result.current.status).toBe('streaming');
      expect(textOf(second.result.current.messages.at(-1)).length).toBeGreaterThan(20);
    });
    await act(() => second.result.current.stop());
    await eventually(async () => {
      const [, reply] = await store.list(id, { limit: 10 });
      expect(reply).toMatchObject({ status: 'failed', error: 'stopped' });
    });
    expect(model.doStreamCalls).toHaveLength(1);
    expect(model.doStreamCalls[0]?.abortSignal?.aborted).toBe(true);
    const [, reply] = await store.list(id, { limit: 10 });
    expect(reply!.content.length).toBeLessThan(OUTPUT.length);
    expect(OUTPUT.startsWith(reply!.content)).toBe(true);
    second.unmount();
  });

  it('two clients on two instances sharing a bus converge on the reply', async () => {
    const store = createMemoryMessageStore();
    const bus = createMemoryBus();
    const model = scriptedModel(OUTPUT, 5);
    const a = await startAiServer(store, model, { bus });
    const b = await startAiServer(store, model, { bus });
    closeAfterTest(a.close);
    closeAfterTest(b.close);
    const id = fresh();
    const { sender: alice, resumer: bob } = await sendThenResumeElsewhere({
      store,
      id,
      text: 'hello',
      replySequence: 2,
      sendBase: a.base,
      resumeBase: b.base,
    });
    await expectConverged([alice, bob], OUTPUT);
    alice.unmount();
    bob.unmount();
  });
});
