/**
 * Bus cursors: how a driver's cursors are told apart from garbage and put in
 * order. The one place their shapes are written down.
 */

/** How a driver's cursors look and compare; the shared fan-out uses it to drop repeats. */
export interface BusCursorOrder {
  /** True for a cursor this driver could have returned; anything else replays from the start. */
  valid(cursor: string): boolean;
  /** Negative, 0 or positive as `a` is before, at or after `b` (both valid). */
  compare(a: string, b: string): number;
}

const INTEGER = /^(0|[1-9][0-9]{0,15})$/;
const STREAM_ID = /^(0|[1-9][0-9]{0,15})-(0|[1-9][0-9]{0,15})$/;

/** Cursors `"1"`, `"2"`, … per conversation (the memory and Postgres buses). */
export const integerCursors: BusCursorOrder = {
  valid: (cursor) => INTEGER.test(cursor),
  // No leading zeros: the longer is the larger, else the string order is the number order.
  compare: (a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0),
};

/** Redis stream entry ids, `<ms>-<seq>` (the Redis bus). */
export const streamIdCursors: BusCursorOrder = {
  valid: (cursor) => STREAM_ID.test(cursor),
  compare(a, b) {
    const dash = a.indexOf('-');
    const bDash = b.indexOf('-');
    return (
      Number(a.slice(0, dash)) - Number(b.slice(0, bDash)) ||
      Number(a.slice(dash + 1)) - Number(b.slice(bDash + 1))
    );
  },
};
