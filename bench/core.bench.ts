/**
 * Core timeline: the cost of applying one streamed delta and one new message
 * to timelines of 1k, 10k and 100k messages, next to the naive approach most
 * chat hooks use (copy the array, change or push, sort), in the same run.
 *
 *   npm run bench -- core
 */
import { measure } from 'mitata';
import {
  applyStreamEvent,
  compareMessages,
  createTimeline,
  type Message,
  mergeMessages,
  type StreamEvent,
} from '../src/index';

const SIZES = [1_000, 10_000, 100_000];

function history(size: number): Message[] {
  const start = Date.parse('2026-01-01T00:00:00Z');
  return Array.from({ length: size }, (_, i) => ({
    id: `m${i + 1}`,
    conversationId: 'bench',
    sequence: i + 1,
    // Pairs share a millisecond, as prompts and replies do.
    createdAt: new Date(start + Math.floor(i / 2)).toISOString(),
    role: i % 2 === 0 ? 'user' : 'assistant',
    content: 'x'.repeat(40),
    status: i === size - 1 ? 'streaming' : 'complete',
  }));
}

async function median(fn: () => unknown): Promise<number> {
  const stats = await measure(fn, { min_cpu_time: 300e6 });
  return stats.p50;
}

const format = (ns: number) =>
  ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : `${(ns / 1e3).toFixed(2)} µs`;

export default async function run(): Promise<void> {
  const rows: string[] = [];
  const delta: Record<number, number> = {};
  const append: Record<number, number> = {};
  for (const size of SIZES) {
    const messages = history(size);
    const timeline = mergeMessages(createTimeline('bench'), messages);
    const naive = [...messages].sort(compareMessages);
    const last = messages.at(-1)!;
    const deltaEvent: StreamEvent = {
      type: 'delta',
      messageId: last.id,
      offset: last.content.length,
      text: 'abcd',
    };
    const newMessage: Message = {
      ...last,
      id: `m${size + 1}`,
      sequence: size + 1,
      content: '',
      status: 'pending',
    };

    delta[size] = await median(() => applyStreamEvent(timeline, deltaEvent));
    const naiveDelta = await median(() =>
      naive
        .map((m) => (m.id === last.id ? { ...m, content: `${m.content}abcd` } : m))
        .sort(compareMessages),
    );
    append[size] = await median(() =>
      applyStreamEvent(timeline, { type: 'message', message: newMessage }),
    );
    const naiveAppend = await median(() => [...naive, newMessage].sort(compareMessages));

    rows.push(
      `| ${size.toLocaleString('en-US')} | ${format(delta[size]!)} | ${format(naiveDelta)} | **${(naiveDelta / delta[size]!).toFixed(0)}x** | ${format(append[size]!)} | ${format(naiveAppend)} | **${(naiveAppend / append[size]!).toFixed(0)}x** |`,
    );
  }
  console.log(
    '| messages | seqline delta | naive delta | speed-up | seqline new message | naive new message | speed-up |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
  console.log(
    `\nper-delta cost, 100k vs 1k: ${(delta[100_000]! / delta[1_000]!).toFixed(2)}x (target ≤ 10x); ` +
      `new message, 100k vs 1k: ${(append[100_000]! / append[1_000]!).toFixed(2)}x`,
  );
  console.log(
    '(median per operation; naive = copy the array, change or push, sort with compareMessages)',
  );
}
