/**
 * ISO 8601 timestamps compared at the precision they arrived with. A JS
 * `Date` keeps milliseconds only, so `…00.123456Z` and `…00.123999Z` would
 * tie; here the sub-millisecond digits break the tie.
 */

/** `2026-01-01T00:00:00.123456Z`, `2026-01-01 00:00:00.123456+00`, `…+05:30`. A zone is required. */
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)$/i;

/** A timestamp reduced to comparable parts. */
export interface TimestampKey {
  /** Milliseconds since the epoch, UTC. */
  readonly ms: number;
  /** Fraction digits after the milliseconds, trailing zeros removed ("" when none). */
  readonly sub: string;
}

/** Parses an ISO 8601 timestamp with a zone; `undefined` when it is not one or names an impossible date. */
export function parseTimestamp(value: string): TimestampKey | undefined {
  const match = TIMESTAMP.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCDate() !== day) return undefined; // e.g. February 30th rolled over
  date.setUTCHours(hour, minute, second, Number(fraction.slice(0, 3).padEnd(3, '0')));
  return {
    ms: date.getTime() - zoneOffsetMinutes(zone) * 60_000,
    sub: fraction.slice(3).replace(/0+$/, ''),
  };
}

/** Compares two parsed timestamps: negative, zero or positive. */
export function compareTimestampKeys(a: TimestampKey, b: TimestampKey): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  // Fraction digits with trailing zeros removed compare as decimals when compared as strings.
  if (a.sub === b.sub) return 0;
  return a.sub < b.sub ? -1 : 1;
}

// ---------------------------------------------------------------------------

function zoneOffsetMinutes(zone: string): number {
  if (zone === 'Z' || zone === 'z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
}
