/**
 * pipeToReply and createAiRoutes on the server, with the AI SDK's mock model:
 * what a model's text, reasoning, tool calls, errors and aborts leave in the
 * stored reply and on the bus.
 */
import { streamText, tool } from 'ai';
import { MockLanguageModelV3, simulateReadableStream } from 'ai/test';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { pipeToReply } from '../../src/ai/index';
import type { StreamEvent } from '../../src/index';
import {
  createMemoryBus,
  createMemoryMessageStore,
  createReplyWriter,
} from '../../src/server/index';
import { eventually, type StreamPart, scriptedModel, startAiServer } from './support';

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};
const finish = (unified: 'stop' | 'tool-calls' = 'stop'): StreamPart => ({
  type: 'finish',
  finishReason: { unified, raw: unified },
  usage,
});
const modelOf = (...streams: StreamPart[][]) =>
  new MockLanguageModelV3({
    doStream: streams.map((chunks) => ({ stream: simulateReadableStream({ chunks }) })),
  });

/** A reserved reply, its writer, and every event the bus carried for the conversation. */
async function reserve() {
  const store = createMemoryMessageStore();
  const bus = createMemoryBus();
  const events: StreamEvent[] = [];
  const turn = await store.append({
    conversationId: 'c1',
    clientId: 'k1',
    content: 'hi',
    reply: true,
  });
  bus.subscribe('c1', undefined, { event: ({ event }) => events.push(event) });
  const writer = createReplyWriter({ bus, message: turn.reply!, persist: store.updateReply });
  const stored = async () => (await store.list('c1', { limit: 5 }))[1]!;
  return { store, bus, writer, events, stored, reply: turn.reply! };
}

describe('pipeToReply', () => {
  it('a streamText result: every delta by offset, then complete', async () => {
    const { writer, events, stored } = await reserve();
    const result = await pipeToReply(
      streamText({ model: scriptedModel('Hello, wörld 🚀!', 0), prompt: 'hi' }),
      writer,
    );
    expect(result).toEqual({ status: 'complete' });
    expect(await stored()).toMatchObject({ content: 'Hello, wörld 🚀!', status: 'complete' });
    const deltas = events.filter((e) => e.type === 'delta');
    expect(deltas.map((e) => e.text).join('')).toBe('Hello, wörld 🚀!');
    // Pieces of 7 UTF-16 units; the second ends inside 🚀, whose first half waits for the third.
    expect(deltas.map((e) => e.offset)).toEqual([0, 7, 13]);
    expect(deltas.map((e) => e.text)).toEqual(['Hello, ', 'wörld ', '🚀!']);
  });

  it('a text stream (result.textStream, or any async iterable of strings)', async () => {
    const { writer, stored } = await reserve();
    async function* tokens() {
      yield 'a';
      yield 'bc';
    }
    await pipeToReply(tokens(), writer);
    expect(await stored()).toMatchObject({ content: 'abc', status: 'complete' });
  });

  it('a model error fails the reply with the error text, keeping what streamed', async () => {
    const { writer, stored } = await reserve();
    const model = modelOf([
      { type: 'stream-start', warnings: [] },
      { type: 'text-start', id: 't' },
      { type: 'text-delta', id: 't', delta: 'partial' },
      { type: 'error', error: new Error('rate limited') },
    ]);
    // onError: the SDK logs stream errors by default; this one is expected.
    const result = await pipeToReply(
      streamText({ model, prompt: 'hi', onError: () => {} }),
      writer,
      {
        errorText: (error) => (error instanceof Error ? error.message : 'failed'),
      },
    );
    expect(result).toEqual({ status: 'failed', error: 'rate limited' });
    expect(await stored()).toMatchObject({
      content: 'partial',
      status: 'failed',
      error: 'rate limited',
    });
  });

  it('the signal stops reading and the model call, and fails the reply as stopped', async () => {
    const { writer, stored } = await reserve();
    const controller = new AbortController();
    const model = scriptedModel('x'.repeat(2000), 5);
    const piping = pipeToReply(
      streamText({ model, prompt: 'hi', abortSignal: controller.signal }),
      writer,
      {
        signal: controller.signal,
      },
    );
    await eventually(() => expect(writer.content.length).toBeGreaterThan(0));
    controller.abort();
    expect(await piping).toEqual({ status: 'failed', error: 'stopped' });
    expect(model.doStreamCalls[0]?.abortSignal?.aborted).toBe(true);
    const reply = await stored();
    expect(reply.status).toBe('failed');
    expect(reply.content.length).toBeLessThan(2000);
  });

  it("reasoning and tool parts are published as the message's parts, the text stays in content", async () => {
    const { bus, writer, events, reply } = await reserve();
    const model = modelOf(
      [
        { type: 'stream-start', warnings: [] },
        { type: 'reasoning-start', id: 'r' },
        { type: 'reasoning-delta', id: 'r', delta: 'think' },
        { type: 'reasoning-end', id: 'r' },
        { type: 'tool-call', toolCallId: 'call-1', toolName: 'weather', input: '{"city":"Oslo"}' },
        finish('tool-calls'),
      ],
      [
        { type: 'stream-start', warnings: [] },
        { type: 'text-start', id: 't' },
        { type: 'text-delta', id: 't', delta: 'Sunny.' },
        { type: 'text-end', id: 't' },
        finish(),
      ],
    );
    const result = streamText({
      model,
      prompt: 'weather?',
      tools: {
        weather: tool({
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => `${city}: 20°C`,
        }),
      },
      stopWhen: () => false,
    });
    await pipeToReply(result, writer, {
      publishParts: async (parts) => {
        await bus.publish('c1', {
          type: 'message',
          message: { ...reply, content: writer.content, status: 'streaming', parts },
        });
      },
    });
    const snapshots = events.filter((e) => e.type === 'message' && 'parts' in e.message);
    const last = snapshots.at(-1);
    expect(last?.type === 'message' && last.message.parts).toEqual([
      { type: 'reasoning', text: 'think', state: 'done' },
      {
        type: 'tool-weather',
        toolCallId: 'call-1',
        state: 'output-available',
        input: { city: 'Oslo' },
        output: 'Oslo: 20°C',
      },
    ]);
    expect(writer.content).toBe('Sunny.');
  });
});

describe('createAiRoutes', () => {
  it('a throwing generate fails the reply instead of leaving it open', async () => {
    const store = createMemoryMessageStore();
    const errors: unknown[] = [];
    const server = await startAiServer(store, scriptedModel(), {
      generate: () => {
        throw new Error('no model configured');
      },
      onError: (error) => errors.push(error),
    });
    try {
      const response = await fetch(`${server.base}/conversations/c1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'k1', content: 'hi' }),
      });
      expect(response.status).toBe(201);
      await eventually(async () => {
        const [, reply] = await store.list('c1', { limit: 5 });
        expect(reply).toMatchObject({
          status: 'failed',
          error: 'the reply could not be generated',
        });
      });
      expect(errors).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('the stop route: 404 for no reply there, 400 for a bad body, 200 once the reply ended', async () => {
    const store = createMemoryMessageStore();
    const server = await startAiServer(store, scriptedModel('done', 0));
    const stop = (body: unknown) =>
      fetch(`${server.base}/conversations/c1/stop`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    try {
      await fetch(`${server.base}/conversations/c1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'k1', content: 'hi' }),
      });
      expect((await stop({ sequence: 0 })).status).toBe(400);
      expect((await stop({ sequence: 1 })).status).toBe(404); // the user's message, not a reply
      expect((await stop({ sequence: 9 })).status).toBe(404);
      await eventually(async () =>
        expect((await store.list('c1', { limit: 5 }))[1]?.status).toBe('complete'),
      );
      const ended = await stop({ sequence: 2 });
      expect(ended.status).toBe(200);
      expect((await store.list('c1', { limit: 5 }))[1]).toMatchObject({
        status: 'complete',
        content: 'done',
      });
      expect((await fetch(`${server.base}/conversations/c1/stop`)).status).toBe(405);
    } finally {
      await server.close();
    }
  });
});
