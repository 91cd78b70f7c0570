/**
 * SSE backpressure: 20 clients that stop reading while 50 MB of deltas is
 * published. Each connection holds at most `maxBufferedBytes` plus one
 * frame, then ends; each client, once it reads again, gets what was queued,
 * resumes with its Last-Event-ID and converges to the full reply.
 */
import { describe, expect, it } from 'vitest';
import { applyStreamEvent, createTimeline, type Message } from '../../src/index';
import {
  createConversationStream,
  createMemoryBus,
  createReplyWriter,
  createSseStream,
  DEFAULT_MAX_BUFFERED_BYTES,
} from '../../src/server/index';
import { readFrames } from '../msw/sseClient';
import { pendingReply } from '../support/bus';

const MB = 1024 * 1024;
const CAP = 256 * 1024;
const CLIENTS = 20;
const DELTA = 'x'.repeat(8 * 1024);
const DELTAS = (50 * MB) / DELTA.length;

describe('createSseStream backpressure', () => {
  it(`${CLIENTS} paused clients while 50 MB is published: bounded memory, then every client converges`, async () => {
    const rows = new Map<string, Message>([[pendingReply.id, pendingReply]]);
    const bus = createMemoryBus({ maxLength: 100 });
    const loadSnapshot = (_: string, after: number) =>
      [...rows.values()].filter((row) => (row.sequence ?? 0) > after);
    const open = (lastEventId: string | undefined) =>
      createSseStream({
        source: createConversationStream({ bus, conversationId: 'c1', loadSnapshot }),
        lastEventId,
        keepAliveMs: 0,
        maxBufferedBytes: CAP,
        onError: () => {},
      });
    const paused = Array.from({ length: CLIENTS }, () => open(undefined));
    const writer = createReplyWriter({
      bus,
      message: pendingReply,
      persistEveryChars: 64 * 1024,
      persist: async (update) => {
        rows.set(update.messageId, { ...rows.get(update.messageId)!, ...update });
      },
    });
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    await writer.start();
    for (let i = 0; i < DELTAS; i++) {
      await writer.append(DELTA);
      if (i % 64 === 0) {
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
        // Unbounded queues would reach 1 GB here: stop early instead of exhausting the machine.
        if (peak > CLIENTS * CAP * 4) break;
      }
    }
    await writer.complete();
    console.log(
      `[backpressure] ${CLIENTS} paused clients, 50 MB published: queued bytes grew by at most ${(peak / MB).toFixed(1)} MB (cap ${CAP / 1024} kB each)`,
    );
    expect(peak).toBeLessThan(CLIENTS * (CAP + 64 * 1024) + 8 * MB);

    for (const stream of paused) {
      // The client reads again: what was queued (at most the cap and a frame), then the end.
      let lastEventId: string | undefined;
      let bytes = 0;
      let timeline = createTimeline('c1');
      const reader = stream.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.length;
        const text = new TextDecoder().decode(value);
        for (const block of text.split('\n\n')) {
          const id = /^id: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (id) lastEventId = id;
          if (data) timeline = applyStreamEvent(timeline, JSON.parse(data));
        }
      }
      expect(bytes).toBeLessThanOrEqual(CAP + 64 * 1024);
      expect(lastEventId).toBeDefined();
      // Its EventSource reconnects with Last-Event-ID: catch-up from storage fills the rest.
      for await (const frame of readFrames(open(lastEventId))) {
        if (frame.data) timeline = applyStreamEvent(timeline, JSON.parse(frame.data));
        if (timeline.getById('m2')?.status === 'complete') break;
      }
      const message = timeline.getById('m2');
      expect(message?.status).toBe('complete');
      expect(message?.content.length).toBe(50 * MB);
    }
  }, 120_000);

  it('defaults to 1 MiB and checks the option', () => {
    expect(DEFAULT_MAX_BUFFERED_BYTES).toBe(MB);
    expect(() =>
      createSseStream({ source: [][Symbol.iterator]() as never, maxBufferedBytes: 0 }),
    ).toThrow(/maxBufferedBytes must be a positive integer/);
  });
});
