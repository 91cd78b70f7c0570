/**
 * A model's tokens may end in the middle of an emoji (the first half of a
 * UTF-16 surrogate pair, the second half in the next token). The reply
 * writer must never publish or persist the lone half: Postgres' jsonb (the
 * Postgres bus) refuses it, and a UTF-8 driver stores it as U+FFFD.
 */
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/index';
import { createMemoryBus, createReplyWriter, type ReplyUpdate } from '../../src/server/index';
import { collector, pendingReply } from '../support/bus';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function writerOnMemoryBus() {
  const bus = createMemoryBus();
  const seen = collector();
  bus.subscribe('c1', undefined, seen.sink);
  const persisted: ReplyUpdate[] = [];
  const writer = createReplyWriter({
    bus,
    message: pendingReply,
    // Persist on every append, so a lone half would reach the store at once.
    persistEveryChars: 0,
    persist: async (update) => void persisted.push(update),
  });
  /** The content a subscriber rebuilds from the events, and every text it was sent. */
  const received = () => {
    let content = '';
    const texts: string[] = [];
    for (const { event } of seen.entries) {
      if (event.type === 'delta') {
        expect(event.offset).toBe(content.length);
        content += event.text;
        texts.push(event.text);
      } else if (event.type === 'message') {
        content = (event.message as Message).content;
        texts.push(content);
      }
    }
    return { content, texts };
  };
  return { writer, persisted, received };
}

describe('createReplyWriter: tokens that split a surrogate pair', () => {
  it('publishes and persists whole code points only, and the full text at the end', async () => {
    const { writer, persisted, received } = writerOnMemoryBus();
    const tokens = ['Hi ', '\uD83D', '\uDC4B there ', '\uD83C', '\uDF89', '!'];
    await writer.start();
    for (const token of tokens) await writer.append(token);
    expect(writer.content).toBe(tokens.join(''));
    await writer.complete();

    const { content, texts } = received();
    expect(content).toBe('Hi 👋 there 🎉!');
    for (const text of texts) expect(text).not.toMatch(LONE_SURROGATE);
    for (const update of persisted) expect(update.content).not.toMatch(LONE_SURROGATE);
    expect(persisted.at(-1)).toMatchObject({ content: 'Hi 👋 there 🎉!', status: 'complete' });
  });

  it('a reply that ends on half a pair is stored and sent with U+FFFD in its place', async () => {
    const { writer, persisted, received } = writerOnMemoryBus();
    await writer.append('cut \uD83D');
    await writer.fail('model stopped');
    expect(received().content).toBe('cut \uFFFD');
    expect(persisted.at(-1)).toMatchObject({ content: 'cut \uFFFD', status: 'failed' });
  });

  it('a lone second half (a broken model stream) goes out as U+FFFD, at the same offsets', async () => {
    const { writer, persisted, received } = writerOnMemoryBus();
    await writer.append('x\uDC4By');
    await writer.append('z');
    await writer.complete();
    expect(received().content).toBe('x\uFFFDyz');
    expect(persisted.at(-1)?.content).toBe('x\uFFFDyz');
  });

  it('offsets given to append() count the held half: a retried token is not doubled', async () => {
    const { writer, received } = writerOnMemoryBus();
    await writer.append('a\uD83D', 0);
    await writer.append('a\uD83D\uDC4Bb', 0); // the caller retries from the start
    await writer.complete();
    expect(received().content).toBe('a👋b');
  });
});
