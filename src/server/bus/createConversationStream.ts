import { compareMessages } from '../../core/compareMessages';
import { type Message, parseMessage, type StreamEvent } from '../../core/schemas';
import type { SseSource } from '../stream/sse';
import {
  assertConversationId,
  BUS_START,
  type BusEntry,
  type MessageBus,
  MessageBusError,
} from './messageBus';
import { Seam } from './seam';
import { formatStreamCursor, type OpenReply, parseStreamCursor } from './streamCursor';

/**
 * Reads a conversation's messages from the database: those with a sequence
 * above `afterSequence`, ascending, including the reply being streamed with
 * the content persisted so far (see `createReplyWriter`).
 *
 * @example
 * async (conversationId, afterSequence) => (await pool.query(
 *   'SELECT … FROM messages WHERE conversation_id = $1 AND sequence > $2 ORDER BY sequence',
 *   [conversationId, afterSequence])).rows.map(toMessage)
 */
export type LoadSnapshot = (
  conversationId: string,
  afterSequence: number,
) => Promise<readonly unknown[]> | readonly unknown[];

/** Options of {@link createConversationStream}. */
export interface ConversationStreamOptions {
  /** The bus every instance publishes this conversation's events to. */
  bus: MessageBus;
  /** The conversation to stream. */
  conversationId: string;
  /** Catch-up from the database; see {@link LoadSnapshot}. */
  loadSnapshot: LoadSnapshot;
  /**
   * Where a subscriber without a valid `Last-Event-ID` starts: the end of
   * the range the client already loaded as history (every message up to
   * this sequence is final on the client), read from the stream URL's
   * `?after=` (see `parseHistoryQuery`). Catch-up then sends only what
   * follows, instead of the whole conversation. A valid `Last-Event-ID`
   * wins over it.
   * @default 0 (the whole conversation)
   */
  after?: number;
  /**
   * Called when `loadSnapshot` throws or returns something that is not
   * messages. The stream then closes, and the client's `EventSource`
   * reconnects with its `Last-Event-ID` and resumes.
   * @default console.error
   */
  onError?: (error: unknown) => void;
}

/**
 * Serves one conversation to one SSE client on any instance: subscribes to
 * the bus first (buffering), catches up from the database by sequence, then
 * goes live. Events that reach the client twice at that seam, or again
 * after a reconnect, are dropped by message sequence, status and delta
 * offset, so nothing is lost or repeated. Pass it as `source` to
 * `createSseResponse` / `createSseStream`, which hand it the client's
 * `Last-Event-ID`.
 *
 * The SSE ids it writes are `<sequence>.<bus cursor>[.<open>].<check>`
 * (see docs/bus.md): the same on every instance, so a client served by B
 * resumes on A. `open` records how far the client holds each open reply,
 * so a resumed catch-up never sends a stored snapshot that lags behind it
 * (the snapshot rule of docs/protocol.md). A missing, malformed or forged `Last-Event-ID` gets a
 * catch-up from `after` (the whole conversation without it), never an error.
 *
 * @example
 * // GET /conversations/:id/stream?after=, on every instance
 * const { after } = parseHistoryQuery(new URL(request.url).searchParams); // a 400 when invalid
 * return createSseResponse({
 *   request,
 *   source: createConversationStream({ bus, conversationId: id, loadSnapshot, after }),
 * });
 */
export function createConversationStream(options: ConversationStreamOptions): SseSource {
  const { bus, conversationId, loadSnapshot } = options;
  assertConversationId(conversationId, 'stream');
  if (typeof loadSnapshot !== 'function') {
    throw new MessageBusError(
      'invalid_option',
      '[seqline] [bus] loadSnapshot must be a function (conversationId, afterSequence) => the messages stored after that sequence',
    );
  }
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  const start = options.after ?? 0;
  if (!Number.isSafeInteger(start) || start < 0) {
    throw new MessageBusError(
      'invalid_option',
      `[seqline] [bus] after must be a sequence (an integer of 0 or more), got ${String(options.after)}`,
    );
  }

  return {
    subscribe(lastEventId, sink) {
      const resume = parseStreamCursor(conversationId, lastEventId);
      const seam = new Seam(resume?.afterSequence ?? start, resume ? 0 : start, resume?.open);
      let busCursor = resume?.busCursor ?? BUS_START;
      let live = false;
      let stopped = false;
      let buffer: BusEntry[] = [];

      /** What the client holds once it has the event just admitted: the cursor's watermark and open replies. */
      const holds = (): Holds => ({ afterSequence: seam.watermark, open: seam.openReplies() });
      const send = (event: StreamEvent, held = holds()) => {
        if (stopped) return;
        sink.event({ cursor: formatStreamCursor(conversationId, { ...held, busCursor }), event });
      };
      const fail = (error: unknown) => {
        if (stopped) return;
        onError(error);
        stop();
        sink.close();
      };
      /**
       * Sends the database's messages, then `entries` from the bus, dropping
       * what the client has. The last event sent carries the cursor of the
       * last entry even when the entries after it were all dropped, so a
       * client that reconnects right after does not get them replayed.
       */
      const catchUp = async (entries: () => BusEntry[]) => {
        const messages = await load(loadSnapshot, conversationId, seam.watermark);
        if (stopped) return;
        // Each event is sent once the next one is known, so the last one can carry the final cursor.
        let held: { event: StreamEvent; holds: Holds } | undefined;
        const admit = (event: StreamEvent) => {
          const admitted = seam.admit(event);
          if (!admitted) return false;
          if (held) send(held.event, held.holds);
          held = { event: admitted, holds: holds() };
          return true;
        };
        for (const message of messages) admit({ type: 'message', message });
        for (const entry of entries()) {
          admit(entry.event);
          busCursor = entry.cursor;
        }
        if (held) send(held.event, held.holds);
      };

      // Subscribe first, so whatever is published while the database is read waits in `buffer`.
      const unsubscribe = bus.subscribe(conversationId, busCursor, {
        event(entry) {
          if (stopped) return;
          if (!live) {
            buffer.push(entry);
            return;
          }
          const admitted = seam.admit(entry.event);
          busCursor = entry.cursor;
          if (admitted) send(admitted);
        },
        resync() {
          if (!stopped && live) catchUp(() => []).catch(fail);
        },
      });
      const stop = () => {
        stopped = true;
        buffer = [];
        unsubscribe();
      };

      catchUp(() => {
        const pending = buffer;
        buffer = [];
        live = true;
        return pending;
      }).catch(fail);

      return stop;
    },
  };
}

// ---------------------------------------------------------------------------

/** The cursor's account of what the client holds, besides the bus position. */
interface Holds {
  afterSequence: number;
  open: OpenReply[];
}

async function load(
  loadSnapshot: LoadSnapshot,
  conversationId: string,
  afterSequence: number,
): Promise<Message[]> {
  const rows = await loadSnapshot(conversationId, afterSequence);
  if (!Array.isArray(rows)) {
    throw new MessageBusError(
      'invalid_input',
      `[seqline] [bus] loadSnapshot(${JSON.stringify(conversationId)}, ${afterSequence}) must return an array of messages, got ${typeof rows}`,
    );
  }
  // Validated here so one bad row names itself instead of failing deep in a client.
  return rows.map((row) => parseMessage(row)).sort(compareMessages);
}
