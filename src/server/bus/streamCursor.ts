import { fnv1aHex } from '../../core/hash';
/**
 * The SSE cursor `createConversationStream` writes as each event's `id:`,
 * and reads back from `Last-Event-ID`:
 *
 *     <sequence>.<bus cursor>.<check>      e.g.  41.1718000000000-3.9f3a01bc
 *
 * - `sequence`: every message with this sequence or lower had reached its
 *   final state (complete or failed) on the client; catch-up from the
 *   database starts after it.
 * - `bus cursor`: the last bus entry the client was sent (`0` for none);
 *   live events resume after it. Redis stream ids and Postgres positions
 *   are the same on every instance, so any instance can resume any client.
 * - `check`: 8 hex digits of FNV-1a over the conversation id and the two
 *   parts. A cursor that was typed, truncated or copied from another
 *   conversation fails it and gets a full catch-up instead.
 *
 * @internal
 */
export interface StreamCursor {
  afterSequence: number;
  busCursor: string;
}

const CURSOR = /^(0|[1-9][0-9]{0,15})\.([0-9A-Za-z_-]{1,64})\.([0-9a-f]{8})$/;

/** @internal */
export function formatStreamCursor(conversationId: string, cursor: StreamCursor): string {
  const body = `${cursor.afterSequence}.${cursor.busCursor}`;
  return `${body}.${checksum(conversationId, body)}`;
}

/** The cursor in `lastEventId`, or `undefined` (full catch-up) when it is missing, malformed or forged. @internal */
export function parseStreamCursor(
  conversationId: string,
  lastEventId: string | null | undefined,
): StreamCursor | undefined {
  if (typeof lastEventId !== 'string' || lastEventId.length > 100) return undefined;
  const match = CURSOR.exec(lastEventId);
  if (!match) return undefined;
  const [, sequence = '', busCursor = '', check] = match;
  if (checksum(conversationId, `${sequence}.${busCursor}`) !== check) return undefined;
  const afterSequence = Number(sequence);
  return Number.isSafeInteger(afterSequence) ? { afterSequence, busCursor } : undefined;
}

/** 32-bit FNV-1a in hex. Not a signature: it catches accidents and casual forgery, which is all a full catch-up needs. */
function checksum(conversationId: string, body: string): string {
  return fnv1aHex(`${conversationId}\n${body}`);
}
