import { CodedSeqlineError } from '../../core/errors';
import { parseStreamEvent, type StreamEvent } from '../../core/schemas';

/** One published event with its bus cursor. */
export interface BusEntry {
  /**
   * Where this entry sits in its conversation's bus, as a string that is the
   * same on every instance (a Redis stream id, a Postgres row position, …).
   * Subscribing from it delivers only the entries after it.
   */
  cursor: string;
  /** The validated stream event. */
  event: StreamEvent;
}

/** Where a bus subscription delivers. */
export interface BusSink {
  /** An entry, in cursor order, at most once per subscription. */
  event(entry: BusEntry): void;
  /**
   * The bus lost its connection and is reading again. Entries published
   * while it was away may be missing (a Redis restarted without
   * persistence keeps none), so reload what matters from the database.
   * `createConversationStream` does.
   */
  resync?(): void;
}

/**
 * Carries one conversation's stream events between app instances: the
 * instance that creates a message or streams a reply publishes, every
 * instance holding a subscriber for that conversation receives.
 *
 * Cursors are opaque strings, the same on every instance, so a client served
 * by instance B can resume on instance A. `'0'` (or `undefined`) means
 * "before the first entry the bus still holds"; every bus treats an unknown
 * or malformed cursor the same way, never as an error.
 *
 * Implementations: `createMemoryBus` (one process), `createRedisBus`
 * (`seqline/redis`), `createPostgresBus` (`seqline/sql`). Each is a
 * `BusDriver` (the few primitives a backend provides) turned into a bus by
 * `createMessageBus`; write a driver for another backend and check it with
 * `testMessageBus` from `seqline/testing`.
 */
export interface MessageBus {
  /**
   * Validates `event` (throws `StreamEventError` and publishes nothing when
   * it is invalid), appends it to the conversation's bus and resolves with
   * its cursor once every subscriber, on any instance, can read it. Publish
   * after the database write the event describes has committed, so a
   * subscriber that catches up from the database never sees an event
   * before its row.
   */
  publish(conversationId: string, event: unknown): Promise<string>;
  /**
   * Delivers the entries after `fromCursor` that the bus still holds, then
   * every new one, in order, until the returned function is called. Never
   * throws for a bad cursor: it replays from the start instead.
   */
  subscribe(conversationId: string, fromCursor: string | undefined, sink: BusSink): () => void;
  /** Stops every subscription and releases what the bus opened itself (not the clients you passed). */
  close(): Promise<void>;
}

/** The cursor before every entry: subscribing from it replays all that the bus still holds. */
export const BUS_START = '0';

/**
 * Why a {@link MessageBusError} was thrown:
 * - `invalid_conversation_id`: empty, not a string, or over 255 UTF-8 bytes;
 * - `invalid_option`: a bus, writer or stream option is out of range or of the wrong type;
 * - `invalid_input`: a call's argument is wrong (an offset past the end, a non-string text, …);
 * - `closed`: publish after `close()`;
 * - `reply_ended`: a reply writer used after its reply finished;
 * - `persist_failed`: a reply's persist callback kept failing;
 * - `driver_failed`: the backend (Redis, Postgres, your driver) failed; `cause` keeps its error.
 */
export type MessageBusErrorCode =
  | 'invalid_conversation_id'
  | 'invalid_option'
  | 'invalid_input'
  | 'closed'
  | 'reply_ended'
  | 'persist_failed'
  | 'driver_failed';

/**
 * A bus failed or was misused. Messages start with `[seqline] [bus]` and say
 * what to do; `code` says which case it is; `cause` keeps the driver's error.
 */
export class MessageBusError extends CodedSeqlineError<MessageBusErrorCode> {
  override name = 'MessageBusError';
}

/** Longest conversation id a bus accepts, in UTF-8 bytes (the allocators' scope limit). */
export const MAX_CONVERSATION_ID_BYTES = 255;

/** Throws `MessageBusError` unless `conversationId` is a non-empty string of at most 255 UTF-8 bytes. */
export function assertConversationId(
  conversationId: unknown,
  bus: string,
): asserts conversationId is string {
  if (typeof conversationId !== 'string' || conversationId.length === 0) {
    throw new MessageBusError(
      'invalid_conversation_id',
      `[seqline] [bus] [${bus}] conversationId must be a non-empty string, got ${typeof conversationId === 'string' ? 'an empty string' : typeof conversationId}`,
    );
  }
  if (encoder.encode(conversationId).length > MAX_CONVERSATION_ID_BYTES) {
    throw new MessageBusError(
      'invalid_conversation_id',
      `[seqline] [bus] [${bus}] conversationId is longer than ${MAX_CONVERSATION_ID_BYTES} UTF-8 bytes; use a shorter id (or a hash of it)`,
    );
  }
}

/** Throws `MessageBusError` (`invalid_option`) naming the first option that is not a positive integer. */
export function assertPositiveIntegers(bus: string, options: Record<string, number>): void {
  for (const [name, value] of Object.entries(options)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new MessageBusError(
        'invalid_option',
        `[seqline] [bus] [${bus}] ${name} must be a positive integer, got ${String(value)}`,
      );
    }
  }
}

/**
 * What every bus checks before it publishes: a valid conversation id, a bus
 * that is still open, and a valid stream event. Throws (and publishes
 * nothing) otherwise; returns the parsed event.
 */
export function checkPublish(
  bus: string,
  closed: boolean,
  conversationId: unknown,
  input: unknown,
): StreamEvent {
  assertConversationId(conversationId, bus);
  if (closed) {
    throw new MessageBusError(
      'closed',
      `[seqline] [bus] [${bus}] publish after close(): create a new bus`,
    );
  }
  return parseStreamEvent(input);
}

/** True for a `status` event, or a `message` event whose message is complete or failed: the end of a reply. */
export function isFinalEvent(event: StreamEvent): boolean {
  if (event.type === 'status') return true;
  return (
    event.type === 'message' &&
    (event.message.status === 'complete' || event.message.status === 'failed')
  );
}

const encoder = new TextEncoder();
