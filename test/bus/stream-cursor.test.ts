import { describe, expect, it } from 'vitest';
import { fnv1aHex } from '../../src/core/hash';
import { formatStreamCursor, parseStreamCursor } from '../../src/server/bus/streamCursor';

describe('the stream cursor', () => {
  it('carries the open replies the client holds, and reads back what it wrote', () => {
    const cursor = {
      afterSequence: 41,
      busCursor: '1718000000000-3',
      open: [
        { sequence: 42, status: 'streaming' as const, length: 1200 },
        { sequence: 44, status: 'pending' as const, length: 0 },
      ],
    };
    const id = formatStreamCursor('c1', cursor);
    expect(id).toMatch(/^41\.1718000000000-3\.42s1200_44p0\.[0-9a-f]{8}$/);
    expect(parseStreamCursor('c1', id)).toEqual(cursor);
  });

  it('still reads a cursor without open replies (written before they existed)', () => {
    const id = formatStreamCursor('c1', { afterSequence: 7, busCursor: '12' });
    expect(id).toMatch(/^7\.12\.[0-9a-f]{8}$/);
    expect(parseStreamCursor('c1', id)).toEqual({ afterSequence: 7, busCursor: '12' });
  });

  it.each([
    ['another conversation', (id: string) => parseStreamCursor('c2', id)],
    ['an edited length', (id: string) => parseStreamCursor('c1', id.replace('s1200', 's9999'))],
    ['an open part dropped', (id: string) => parseStreamCursor('c1', id.replace('.42s1200', ''))],
  ])('is refused (a full catch-up) from %s', (_, parse) => {
    const id = formatStreamCursor('c1', {
      afterSequence: 41,
      busCursor: '5',
      open: [{ sequence: 42, status: 'streaming', length: 1200 }],
    });
    expect(parse(id)).toBeUndefined();
  });

  it.each([
    ['an open reply at or below the watermark', '41.5.41s3'],
    ['a length past a safe integer', '41.5.42s99999999999999999'],
    ['nine open replies', `41.5.${Array.from({ length: 9 }, (_, i) => `${42 + i}s1`).join('_')}`],
    ['an unknown status letter', '41.5.42x3'],
  ])('is refused with %s, even with a valid check', (_, body) => {
    // The cursor is not signed: anyone can compute the check of a forged body.
    const forged = `${body}.${fnv1aHex(`c1\n${body}`)}`;
    expect(parseStreamCursor('c1', forged)).toBeUndefined();
  });

  it('reads a forged valid cursor of the largest shape without error', () => {
    const open = Array.from(
      { length: 8 },
      (_, i) => `${9_007_199_254_740_000 + i}s9007199254740991`,
    );
    const body = `9007199254739999.${'z'.repeat(64)}.${open.join('_')}`;
    expect(parseStreamCursor('c1', `${body}.${fnv1aHex(`c1\n${body}`)}`)?.open).toHaveLength(8);
  });
});
