/** The mock database's options, inputs and interface (see `createMockDb`). */
import type { Message, MessageRole } from '../core/schemas';
import type { SequenceAllocator } from '../server/allocator';
import type { MemoryBus } from '../server/bus/memory';
import type { SseSource } from '../server/stream/sse';

/** How the mock writes the assistant's reply to each user message. */
export interface ReplyOptions {
  /**
   * The full reply text for a user message.
   * @default a deterministic sentence derived from the message (same input, same words)
   */
  text?: (input: { conversationId: string; message: Message }) => string;
  /**
   * Characters per `delta` event.
   * @default 4
   */
  chunkSize?: number;
  /**
   * Milliseconds between deltas (and before the first one).
   * @default 5
   */
  intervalMs?: number;
}

/** A message to preload, as in `conversations: { c1: [{ role: 'user', content: 'Hi' }] }`. */
export interface SeedMessage {
  role: MessageRole;
  content: string;
  clientId?: string;
  /** @default 'complete' */
  status?: Message['status'];
}

/** Options for {@link createMockDb}. */
export interface MockDbOptions {
  /**
   * Hands out the sequences. Pass your own to share one with other code, or
   * to test the mock against a real backend.
   * @default createMemoryAllocator()
   */
  allocator?: SequenceAllocator;
  /**
   * Seed for the generated reply text (and, in the handlers, for chaos), so
   * a run repeats exactly.
   * @default a random seed
   */
  seed?: number;
  /**
   * The scripted assistant reply streamed after each user message, or
   * `false` for none (then a POST reserves one sequence, not two).
   * @default {}
   */
  reply?: ReplyOptions | false;
  /** Conversations to preload, stored in order with sequences 1, 2, … */
  conversations?: Record<string, readonly SeedMessage[]>;
  /**
   * The clock for `createdAt`.
   * @default () => new Date()
   */
  now?: () => Date;
}

/** What `send` stored (or found, on a repeat with the same clientId). */
export interface SendResult {
  message: Message;
  /** The assistant reply placeholder reserved with the message, if any. */
  reply?: Message;
  /** `false` when this clientId had already been sent: nothing new was stored. */
  created: boolean;
}

/** The body of a POST to the mock, already validated (any role, unlike the real routes). */
export interface SendMessageBody {
  clientId: string;
  role: MessageRole;
  content: string;
}

/**
 * The mock server's state: the messages it stored (its truth), the memory
 * bus it publishes every stream event to, and the replies it is streaming.
 */
export interface MockDb {
  /** The seed in use (given or drawn), to reproduce a failing run. */
  readonly seed: number;
  /** The stored messages of a conversation, ascending by sequence (copies). */
  messages(conversationId: string): Message[];
  /**
   * Messages with `sequence > after` (default 0), ascending, at most `limit`;
   * with `before`, the `limit` messages just below it instead (`Infinity` for
   * the latest page). `version` reads an older snapshot (see `versions`).
   */
  history(
    conversationId: string,
    query?: { after?: number; before?: number; limit?: number; version?: number },
  ): Message[];
  /** How many past snapshots of the conversation are kept (for stale history chaos); the newest is `versions - 1`. */
  versions(conversationId: string): number;
  /**
   * Stores a message as a POST would: idempotent on `clientId`; a user
   * message reserves its reply's sequence with `nextRange(scope, 2)` and
   * starts streaming the reply. Publishes `message` events for both.
   */
  send(conversationId: string, input: SendMessageBody): Promise<SendResult>;
  /**
   * Stores a message without a POST, as if another client or a server job
   * wrote it, and publishes it on the stream. No reply.
   */
  insert(conversationId: string, input: SeedMessage): Promise<Message>;
  /**
   * The bus every stream event is published to, after the store has it
   * (`bus.entries(id)`, `bus.subscribers(id)`). `reset()` replaces it.
   */
  readonly bus: MemoryBus;
  /**
   * The conversation's stream as production serves it: `createConversationStream`
   * over `bus`, catching up from the stored messages. Pass it as `source` to
   * `createSseResponse` in your own handlers; `after` is the stream URL's `?after=`.
   */
  stream(conversationId: string, options?: { after?: number }): SseSource;
  /** Resolves when no reply is streaming (all `status` events published). */
  idle(): Promise<void>;
  /** Stops every reply and forgets every message, bus entry and counter (a memory allocator is cleared). */
  reset(): void;
}
