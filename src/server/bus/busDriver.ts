import type { StreamEvent } from '../../core/schemas';
import type { BusCursorOrder } from './cursor';
import type { BusEntry } from './messageBus';

/**
 * What a backend provides to be a {@link MessageBus}: storage of each
 * conversation's entries with cursors, and a way to hear that a conversation
 * has news. Everything else — subscribers, catch-up-then-live handover,
 * at-most-once delivery, resync after a reconnect, validation — is
 * `createMessageBus`'s job, shared by every driver.
 *
 * A driver may be synchronous (return values, not promises): the memory
 * driver is, so its bus delivers inside `publish` and replays inside
 * `subscribe`. Check a new driver with `testMessageBus` from
 * `seqline/testing`.
 *
 * @example
 * const bus = createMessageBus({ driver: createNatsDriver(options) });
 */
export interface BusDriver {
  /** Short name for error messages: `[seqline] [bus] [<name>] …`. */
  readonly name: string;
  /** How this driver's cursors look and compare. Use `integerCursors` or `streamIdCursors`, or your own. */
  readonly cursors: BusCursorOrder;
  /**
   * Appends an already validated event to the conversation and returns its
   * cursor, once every instance can read it. Throw a `MessageBusError`
   * (`driver_failed`) on failure.
   */
  append(conversationId: string, event: StreamEvent): Promise<string> | string;
  /**
   * Up to `limit` entries after `after` (exclusive; `undefined` = from the
   * oldest entry held), oldest first. Skip (and report through
   * `DriverListener.error`) entries that are not valid events.
   */
  read(
    conversationId: string,
    after: string | undefined,
    limit: number,
  ): Promise<readonly BusEntry[]> | readonly BusEntry[];
  /** The conversation's last cursor, or `undefined` when it holds nothing. A cursor after it is forged. */
  head(conversationId: string): Promise<string | undefined> | string | undefined;
  /**
   * Starts calling `news` for this conversation; resolves once every entry
   * appended after it resolves will be announced (for pub/sub: once the
   * subscription is confirmed). Called once per conversation while it has
   * subscribers.
   */
  watch(conversationId: string): Promise<void> | void;
  /** The conversation's last subscriber left: stop announcing it, drop what you hold for it. */
  unwatch(conversationId: string): void;
  /** Called once by `createMessageBus`, before anything else: where to announce news. */
  open(listener: DriverListener): void;
  /** Releases what the driver opened itself (not the clients the user passed). */
  close(): Promise<void>;
}

/** How a driver tells the shared fan-out what happened. */
export interface DriverListener {
  /**
   * A watched conversation has new entries. Pass them when the notification
   * carried them (in cursor order, none skipped since the previous call);
   * without them the fan-out reads what is new with `read`. `cursor`, when
   * the announcement names one, lets the fan-out skip a read it has
   * already done.
   */
  news(conversationId: string, entries?: readonly BusEntry[], cursor?: string): void;
  /**
   * The driver's connection came back after a break: announcements may have
   * been lost. Every subscriber is told to resync and every conversation is
   * read again. Call it only once the server has confirmed that the watches
   * are in place again (LISTEN, SSUBSCRIBE, …): an entry appended between a
   * read and the watch would be in neither. From the break until then, call
   * `news` without entries (a cursor is fine): an announcement that arrives
   * with the watch's confirmation may follow entries nobody announced, and
   * only a read takes them in order.
   */
  lost(): void;
  /** Something went wrong that the driver recovers from by itself (reported to the bus's `onError`). */
  error(error: unknown): void;
}
