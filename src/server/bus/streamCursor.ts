import { fnv1aHex } from '../../core/hash';
/**
 * The SSE cursor `createConversationStream` writes as each event's `id:`,
 * and reads back from `Last-Event-ID`:
 *
 *     <sequence>.<bus cursor>.<check>              e.g.  41.1718000000000-3.9f3a01bc
 *     <sequence>.<bus cursor>.<open>.<check>       e.g.  41.1718000000000-3.42s1200.5b0e77d2
 *
 * - `sequence`: every message with this sequence or lower had reached its
 *   final state (complete or failed) on the client; catch-up from the
 *   database starts after it.
 * - `bus cursor`: the last bus entry the client was sent (`0` for none);
 *   live events resume after it. Redis stream ids and Postgres positions
 *   are the same on every instance, so any instance can resume any client.
 * - `open` (only while a reply above `sequence` is open): what the client
 *   holds of each, `<sequence><p|s><length>` joined by `_` (`p` pending,
 *   `s` streaming, `length` in UTF-16 code units). A resumed catch-up never
 *   sends a snapshot shorter or behind it: the stored content lags the
 *   live one (`createReplyWriter` persists every so often).
 * - `check`: 8 hex digits of FNV-1a over the conversation id and the other
 *   parts. A cursor that was typed, truncated or copied from another
 *   conversation fails it and gets a full catch-up instead.
 *
 * @internal
 */
export interface StreamCursor {
  afterSequence: number;
  busCursor: string;
  /** What the client holds of the open replies above `afterSequence` (at most {@link MAX_OPEN_REPLIES}). */
  open?: readonly OpenReply[];
}

/** How far the client has an open (pending or streaming) reply. @internal */
export interface OpenReply {
  sequence: number;
  status: 'pending' | 'streaming';
  /** Content length the client holds, from 0 without a hole (UTF-16 code units). */
  length: number;
}

/** Open replies a cursor carries; past it, the lowest sequences are kept. @internal */
export const MAX_OPEN_REPLIES = 8;

const NUMBER = '(?:0|[1-9][0-9]{0,15})';
const OPEN = `${NUMBER}[ps]${NUMBER}`;
const CURSOR = new RegExp(
  `^(${NUMBER})\\.([0-9A-Za-z_-]{1,64})(?:\\.(${OPEN}(?:_${OPEN}){0,${MAX_OPEN_REPLIES - 1}}))?\\.([0-9a-f]{8})$`,
);
const OPEN_PART = new RegExp(`^(${NUMBER})([ps])(${NUMBER})$`);
/** The longest cursor this format can produce, with room to spare. */
const MAX_CURSOR_LENGTH = 100 + MAX_OPEN_REPLIES * 34;

/** @internal */
export function formatStreamCursor(conversationId: string, cursor: StreamCursor): string {
  const open = (cursor.open ?? [])
    .slice(0, MAX_OPEN_REPLIES)
    .map((reply) => `${reply.sequence}${reply.status === 'pending' ? 'p' : 's'}${reply.length}`)
    .join('_');
  const body = `${cursor.afterSequence}.${cursor.busCursor}${open ? `.${open}` : ''}`;
  return `${body}.${checksum(conversationId, body)}`;
}

/** The cursor in `lastEventId`, or `undefined` (full catch-up) when it is missing, malformed or forged. @internal */
export function parseStreamCursor(
  conversationId: string,
  lastEventId: string | null | undefined,
): StreamCursor | undefined {
  if (typeof lastEventId !== 'string' || lastEventId.length > MAX_CURSOR_LENGTH) return undefined;
  const match = CURSOR.exec(lastEventId);
  if (!match) return undefined;
  const [, sequence = '', busCursor = '', openPart, check] = match;
  const body = `${sequence}.${busCursor}${openPart === undefined ? '' : `.${openPart}`}`;
  if (checksum(conversationId, body) !== check) return undefined;
  const afterSequence = Number(sequence);
  if (!Number.isSafeInteger(afterSequence)) return undefined;
  const open: OpenReply[] = [];
  for (const part of openPart?.split('_') ?? []) {
    const [, replySequence = '', status, length = ''] = OPEN_PART.exec(part) ?? [];
    const reply: OpenReply = {
      sequence: Number(replySequence),
      status: status === 'p' ? 'pending' : 'streaming',
      length: Number(length),
    };
    // Only a reply above the watermark can be open; anything else is not a cursor this server wrote.
    if (
      !Number.isSafeInteger(reply.sequence) ||
      !Number.isSafeInteger(reply.length) ||
      reply.sequence <= afterSequence
    ) {
      return undefined;
    }
    open.push(reply);
  }
  return open.length > 0 ? { afterSequence, busCursor, open } : { afterSequence, busCursor };
}

/** 32-bit FNV-1a in hex. Not a signature: it catches accidents and casual forgery, which is all a full catch-up needs. */
function checksum(conversationId: string, body: string): string {
  return fnv1aHex(`${conversationId}\n${body}`);
}
