import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MessageStore, MessageStoreError } from '../server/store/messageStore';

/** Options for {@link testMessageStore}. */
export interface TestMessageStoreOptions<Store extends MessageStore> {
  /** Builds the store under test, once. Every case uses fresh conversation ids. */
  create: () => Store | Promise<Store>;
  /** Called once after the last case (end a pool, close a database). */
  teardown?: (store: Store) => unknown;
  /** @default 'message store' */
  name?: string;
  /**
   * Appends fired at once with one clientId in the idempotency case.
   * @default 16
   */
  duplicates?: number;
}

/**
 * Registers the message store conformance suite with vitest: the cases every
 * `MessageStore` in seqline passes, and yours can run too. Cases: sequences
 * 1, 2, 3… per conversation; a reply placeholder takes the sequence right
 * after its message; 16 concurrent appends with one clientId store one
 * message (the others get it back with `created: false`); a clientId reused
 * with other content is a `CLIENT_ID_CONFLICT`; concurrent writers never share
 * a sequence; history by `after`, `before` and latest, right at page
 * boundaries; `updateReply` never shortens content nor leaves a final status;
 * `unfinished` lists pending and streaming replies; bad input is refused with
 * `INVALID_INPUT` and stores nothing.
 *
 * @example
 * import { testMessageStore } from 'seqline/testing';
 * testMessageStore({ name: 'postgres', create: () => createSqlMessageStore({ dialect: 'postgres', client: pool }) });
 */
export function testMessageStore<Store extends MessageStore>(
  options: TestMessageStoreOptions<Store>,
): void {
  const { name = 'message store', duplicates = 16 } = options;
  let store: Store;
  const fresh = (label: string) => `conformance-${label}-${randomUUID().slice(0, 8)}`;
  const sequences = async (conversationId: string) =>
    (await store.list(conversationId, { after: 0, limit: 1000 })).map((m) => m.sequence);

  describe(`${name}: MessageStore conformance`, () => {
    beforeAll(async () => {
      store = await options.create();
    });
    afterAll(async () => {
      if (store) await options.teardown?.(store);
    });

    it('numbers messages 1, 2, 3… per conversation, and keeps conversations apart', async () => {
      const a = fresh('numbers');
      const b = fresh('numbers');
      for (const content of ['one', 'two', 'three'])
        await store.append({ conversationId: a, content });
      await store.append({ conversationId: b, content: 'other' });
      expect(await sequences(a)).toEqual([1, 2, 3]);
      expect(await sequences(b)).toEqual([1]);
      const [first] = await store.list(a, { after: 0, limit: 1 });
      expect(first).toMatchObject({
        conversationId: a,
        role: 'user',
        content: 'one',
        status: 'complete',
      });
    });

    it('reserves the reply placeholder right after its message', async () => {
      const id = fresh('reply');
      await store.append({ conversationId: id, content: 'first' });
      const { message, reply, created } = await store.append({
        conversationId: id,
        clientId: 'k1',
        content: 'question',
        reply: true,
      });
      expect(created).toBe(true);
      expect(message).toMatchObject({ sequence: 2, clientId: 'k1', role: 'user' });
      expect(reply).toMatchObject({
        sequence: 3,
        role: 'assistant',
        content: '',
        status: 'pending',
      });
      expect(await store.get(id, reply!.id)).toEqual(reply);
    });

    it(`stores one message for ${duplicates} concurrent appends with one clientId`, async () => {
      const id = fresh('idempotent');
      const results = await Promise.all(
        Array.from({ length: duplicates }, () =>
          store.append({ conversationId: id, clientId: 'same', content: 'once', reply: true }),
        ),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.message.id)).size).toBe(1);
      expect(new Set(results.map((r) => r.reply?.id)).size).toBe(1);
      expect(await sequences(id)).toEqual([1, 2]);
      const again = await store.append({ conversationId: id, clientId: 'same', content: 'once' });
      expect(again.created).toBe(false);
      expect(again.message.id).toBe(results[0]!.message.id);
    });

    it('refuses a clientId reused for different content, storing nothing', async () => {
      const id = fresh('conflict');
      await store.append({ conversationId: id, clientId: 'k', content: 'original' });
      const error = await store
        .append({ conversationId: id, clientId: 'k', content: 'changed' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MessageStoreError);
      expect((error as MessageStoreError).code).toBe('CLIENT_ID_CONFLICT');
      expect(await sequences(id)).toEqual([1]);
    });

    it('never gives two concurrent writers the same sequence', async () => {
      const id = fresh('concurrent');
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.append({
            conversationId: id,
            clientId: `w${i}`,
            content: `m${i}`,
            reply: i % 2 === 0,
          }),
        ),
      );
      expect(await sequences(id)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    });

    it('reads history by after, before and latest, right at page boundaries', async () => {
      const id = fresh('pages');
      for (let i = 1; i <= 7; i++) await store.append({ conversationId: id, content: `m${i}` });
      const seqs = async (query: Parameters<MessageStore['list']>[1]) =>
        (await store.list(id, query)).map((m) => m.sequence);
      expect(await seqs({ after: 0, limit: 3 })).toEqual([1, 2, 3]);
      expect(await seqs({ after: 3, limit: 3 })).toEqual([4, 5, 6]);
      expect(await seqs({ after: 6, limit: 3 })).toEqual([7]);
      expect(await seqs({ after: 7, limit: 3 })).toEqual([]);
      expect(await seqs({ limit: 3 })).toEqual([5, 6, 7]);
      expect(await seqs({ limit: 100 })).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(await seqs({ before: 5, limit: 3 })).toEqual([2, 3, 4]);
      expect(await seqs({ before: 3, limit: 3 })).toEqual([1, 2]);
      expect(await seqs({ before: 1, limit: 3 })).toEqual([]);
      expect(await store.list(fresh('empty'), { limit: 5 })).toEqual([]);
    });

    it('updates a reply: content never shrinks, a final status is never left', async () => {
      const id = fresh('update');
      const { reply } = await store.append({ conversationId: id, content: 'q', reply: true });
      const update = (
        content: string,
        status: 'streaming' | 'complete' | 'failed',
        error?: string,
      ) =>
        store.updateReply({
          messageId: reply!.id,
          conversationId: id,
          content,
          status,
          ...(error ? { error } : {}),
        });
      await update('Hel', 'streaming');
      expect(await store.get(id, reply!.id)).toMatchObject({ content: 'Hel', status: 'streaming' });
      await update('He', 'streaming'); // a late, older snapshot
      expect((await store.get(id, reply!.id))?.content).toBe('Hel');
      expect((await store.unfinished()).map((m) => m.id)).toContain(reply!.id);
      await update('Hello', 'complete');
      await update('Hello', 'failed', 'too late');
      expect(await store.get(id, reply!.id)).toMatchObject({
        content: 'Hello',
        status: 'complete',
      });
      expect((await store.unfinished()).map((m) => m.id)).not.toContain(reply!.id);
    });

    it('refuses bad input with INVALID_INPUT and stores nothing', async () => {
      const id = fresh('bad');
      const bad: unknown[] = [
        { conversationId: '', content: 'x' },
        { conversationId: 'nul\0id', content: 'x' },
        { conversationId: id, content: 42 },
        { conversationId: id, content: 'x', role: 'robot' },
        { conversationId: id, content: 'x', clientId: '' },
        null,
      ];
      for (const input of bad) {
        const error = await store.append(input as never).catch((e: unknown) => e);
        expect(error, JSON.stringify(input)).toBeInstanceOf(MessageStoreError);
        expect((error as MessageStoreError).code).toBe('INVALID_INPUT');
      }
      for (const query of [
        { limit: 0 },
        { limit: 100_000 },
        { after: -1, limit: 5 },
        { before: 0, limit: 5 },
      ]) {
        const error = await store.list(id, query).catch((e: unknown) => e);
        expect((error as MessageStoreError).code, JSON.stringify(query)).toBe('INVALID_INPUT');
      }
      expect(await sequences(id)).toEqual([]);
    });
  });
}
