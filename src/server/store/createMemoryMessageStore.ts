import type { Message } from '../../core/schemas';
import type { SequenceAllocator } from '../allocator';
import type { ReplyUpdate } from '../bus/createReplyWriter';
import { selectHistoryPage } from '../historyQuery';
import { createMemoryAllocator } from '../memory';
import {
  type AppendResult,
  clientIdConflict,
  type MessageStore,
  sameMessage,
  turnMessages,
  type ValidAppend,
  validateAppend,
  validateHistoryQuery,
} from './messageStore';

/** Options of `createMemoryMessageStore`. */
export interface MemoryMessageStoreOptions {
  /**
   * Where sequences come from.
   * @default createMemoryAllocator()
   */
  allocator?: SequenceAllocator;
  /**
   * Message ids.
   * @default crypto.randomUUID()
   */
  createId?: () => string;
}

/**
 * A message store in memory: for tests, demos and single-process tools. It
 * keeps the same rules as the SQL stores (idempotent on clientId, the reply
 * reserved right after its message, content never shrinks) and passes the
 * same conformance suite (`testMessageStore` from `seqline/testing`).
 *
 * @example
 * const store = createMemoryMessageStore();
 * const { message, reply } = await store.append({ conversationId: 'c1', clientId: 'k1', content: 'Hi', reply: true });
 */
export function createMemoryMessageStore(options: MemoryMessageStoreOptions = {}): MessageStore {
  const allocator = options.allocator ?? createMemoryAllocator();
  const createId = options.createId ?? (() => globalThis.crypto.randomUUID());
  /** conversationId → messages in sequence order. */
  const conversations = new Map<string, Message[]>();
  /** `conversationId\0clientId` → the append that stored it (a promise: concurrent repeats wait for the first). */
  const byClientId = new Map<string, Promise<AppendResult>>();
  const byId = new Map<string, Message>();

  const store = (message: Message) => {
    const list = conversations.get(message.conversationId) ?? [];
    conversations.set(message.conversationId, list);
    // Sequences come in increasing order per conversation almost always: insert from the end.
    let at = list.length;
    while (at > 0 && list[at - 1]!.sequence! > message.sequence!) at--;
    list.splice(at, 0, message);
    byId.set(message.id, message);
  };

  const write = async (input: ValidAppend): Promise<AppendResult> => {
    const range = await allocator.nextRange(input.conversationId, input.reply ? 2 : 1);
    const { message, reply } = turnMessages(input, range, createId);
    store(message);
    if (!reply) return { message, created: true };
    store(reply);
    return { message, reply, created: true };
  };

  return {
    async append(raw) {
      const input = validateAppend(raw);
      if (input.clientId === null) return write(input);
      const key = `${input.conversationId}\0${input.clientId}`;
      const first = byClientId.get(key);
      if (first) {
        const stored = await first;
        if (!sameMessage(stored.message, input)) throw clientIdConflict(input);
        const reply = stored.reply && byId.get(stored.reply.id);
        return {
          message: byId.get(stored.message.id)!,
          ...(reply ? { reply } : {}),
          created: false,
        };
      }
      const pending = write(input);
      byClientId.set(key, pending);
      // A failed write does not keep the clientId: the client's retry may store it.
      pending.catch(() => byClientId.delete(key));
      return pending;
    },
    async list(conversationId, query) {
      // Kept in sequence order: the protocol's own page selection (a binary search) applies.
      return selectHistoryPage(
        conversations.get(conversationId) ?? [],
        validateHistoryQuery(query),
      );
    },
    async get(conversationId, messageId) {
      const message = byId.get(messageId);
      return message?.conversationId === conversationId ? message : undefined;
    },
    async updateReply(update) {
      const current = byId.get(update.messageId);
      if (!current || current.conversationId !== update.conversationId) return;
      const next = applyReplyUpdate(current, update);
      if (next === current) return;
      const list = conversations.get(current.conversationId)!;
      list[list.indexOf(current)] = next;
      byId.set(next.id, next);
    },
    async unfinished(options = {}) {
      const found = [...byId.values()].filter(
        (m) => m.role === 'assistant' && (m.status === 'pending' || m.status === 'streaming'),
      );
      found.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
      return found.slice(0, options.limit ?? found.length);
    },
  };
}

/**
 * A reply after `update`, by the rules every store keeps: a final status
 * (`complete`, `failed`) is never left, and content never gets shorter (a
 * late write of an older snapshot changes nothing).
 */
export function applyReplyUpdate(current: Message, update: ReplyUpdate): Message {
  if (current.status === 'complete' || current.status === 'failed') return current;
  const content =
    update.content.length >= current.content.length ? update.content : current.content;
  const next: Message = { ...current, content, status: update.status };
  if (update.status === 'failed' && update.error !== undefined) next.error = update.error;
  return next;
}
