/**
 * The block layout behind `OrderedMessageList`: a row that changes block is
 * remounted, so appends, gap fills, removals and confirmations must leave
 * every existing key in its block.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BLOCK_SIZE,
  layoutRowBlocks,
  OPEN_BLOCK_LIMIT,
  type RowBlockLayout,
} from '../../src/react/layoutRowBlocks';

const keysFrom = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => `k${from + i}`);
const confirmed = () => false;
const blockIds = (layout: RowBlockLayout) =>
  new Map(layout.blocks.flatMap((block) => block.keys.map((key) => [key, block.id] as const)));
const sizes = (layout: RowBlockLayout) => layout.blocks.map((block) => block.keys.length);

function expectValid(layout: RowBlockLayout, keys: readonly string[]) {
  expect(layout.blocks.flatMap((block) => block.keys)).toEqual(keys);
  expect(new Set(layout.blocks.map((block) => block.id)).size).toBe(layout.blocks.length);
  expect(layout.blocks.every((block) => block.keys.length > 0)).toBe(true);
}

/** Every key of `before` that is still in `after` (except `moved`) has the same block id. */
function expectNoKeyChangedBlock(before: RowBlockLayout, after: RowBlockLayout, moved?: string) {
  const was = blockIds(before);
  for (const [key, id] of blockIds(after)) {
    if (key !== moved && was.has(key)) expect([key, id]).toEqual([key, was.get(key)]);
  }
}

describe('layoutRowBlocks', () => {
  it(`splits a first page into blocks of ${BLOCK_SIZE}`, () => {
    const keys = keysFrom(0, 150);
    const layout = layoutRowBlocks(keys, undefined, confirmed);
    expectValid(layout, keys);
    expect(sizes(layout)).toEqual([64, 64, 22]);
    expect(layoutRowBlocks(keys, layout, confirmed)).toBe(layout);
  });

  it('appends fill the last block, then open a new one; untouched blocks stay the same objects', () => {
    let keys = keysFrom(0, 100);
    let layout = layoutRowBlocks(keys, undefined, confirmed);
    for (let i = 100; i < 300; i++) {
      const previous = layout;
      keys = [...keys, `k${i}`];
      layout = layoutRowBlocks(keys, previous, confirmed);
      expectValid(layout, keys);
      expectNoKeyChangedBlock(previous, layout);
      for (let b = 0; b < previous.blocks.length - 1; b++)
        expect(layout.blocks[b]).toBe(previous.blocks[b]);
    }
    expect(sizes(layout)).toEqual([64, 64, 64, 64, 44]);
  });

  it('a gap fill grows only the block it lands in', () => {
    const keys = keysFrom(0, 200);
    const before = layoutRowBlocks(keys, undefined, confirmed);
    const filled = [...keys.slice(0, 10), ...keysFrom(1000, 12), ...keys.slice(10)];
    const after = layoutRowBlocks(filled, before, confirmed);
    expectValid(after, filled);
    expectNoKeyChangedBlock(before, after);
    expect(sizes(after)).toEqual([76, 64, 64, 8]);
    expect(after.blocks.slice(1)).toEqual(before.blocks.slice(1));
    expect(after.blocks[1]).toBe(before.blocks[1]);
  });

  it('older history before the first key goes into new blocks', () => {
    const keys = keysFrom(1000, 70);
    const before = layoutRowBlocks(keys, undefined, confirmed);
    const prepended = [...keysFrom(0, 100), ...keys];
    const after = layoutRowBlocks(prepended, before, confirmed);
    expectValid(after, prepended);
    expectNoKeyChangedBlock(before, after);
    expect(after.blocks.slice(-2)).toEqual(before.blocks);
  });

  it('keeps a block holding an unconfirmed message open, so its confirmation stays in that block', () => {
    // 63 confirmed rows, then an optimistic one: the first block is full.
    const history = keysFrom(0, 63);
    const unconfirmed = new Set(['optimistic']);
    const isUnconfirmed = (key: string) => unconfirmed.has(key);
    const sent = [...history, 'optimistic'];
    let layout = layoutRowBlocks(sent, undefined, isUnconfirmed);
    expect(sizes(layout)).toEqual([64]);
    // Five messages from others arrive while it is pending: it is still unconfirmed, so they join its block.
    const arrived = [...sent, ...keysFrom(100, 5)];
    const before = layoutRowBlocks(arrived, layout, isUnconfirmed);
    expect(sizes(before)).toEqual([69]);
    // The server gives it the next sequence: it moves past all five, and stays in its block.
    unconfirmed.delete('optimistic');
    const confirmedOrder = [...history, ...keysFrom(100, 5), 'optimistic'];
    layout = layoutRowBlocks(confirmedOrder, before, isUnconfirmed);
    expectValid(layout, confirmedOrder);
    expectNoKeyChangedBlock(before, layout);
    // Once confirmed, the full block closes: the next message opens a new one.
    const next = layoutRowBlocks([...confirmedOrder, 'k200'], layout, isUnconfirmed);
    expect(sizes(next)).toEqual([69, 1]);
  });

  it(`closes a block with an unconfirmed message anyway at ${OPEN_BLOCK_LIMIT} keys`, () => {
    const keys = ['pending', ...keysFrom(0, OPEN_BLOCK_LIMIT + 9)];
    const layout = layoutRowBlocks(keys, undefined, (key) => key === 'pending');
    expect(sizes(layout)).toEqual([OPEN_BLOCK_LIMIT, 10]);
  });

  it('a key that moves past another block is the only one that changes block', () => {
    const keys = keysFrom(0, 200);
    const before = layoutRowBlocks(keys, undefined, confirmed);
    // Forward: k5 (first block) now sorts after k150 (third block).
    const forward = keys.filter((key) => key !== 'k5');
    forward.splice(forward.indexOf('k150') + 1, 0, 'k5');
    const afterForward = layoutRowBlocks(forward, before, confirmed);
    expectValid(afterForward, forward);
    expectNoKeyChangedBlock(before, afterForward, 'k5');
    expect(blockIds(afterForward).get('k5')).not.toBe(blockIds(before).get('k5'));
    // Backward: k150 now sorts first.
    const backward = ['k150', ...keys.filter((key) => key !== 'k150')];
    const afterBackward = layoutRowBlocks(backward, before, confirmed);
    expectValid(afterBackward, backward);
    expectNoKeyChangedBlock(before, afterBackward, 'k150');
  });

  it('any sequence of inserts and removals keeps every remaining key in its block (property)', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(),
        count: fc.integer({ min: 1, max: 80 }),
      }),
      fc.record({
        kind: fc.constant('remove' as const),
        at: fc.nat(),
        count: fc.integer({ min: 1, max: 40 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        let keys: string[] = [];
        let layout = layoutRowBlocks(keys, undefined, confirmed);
        let fresh = 0;
        for (const { kind, at, count } of ops) {
          const position = keys.length === 0 ? 0 : at % (keys.length + 1);
          keys =
            kind === 'insert'
              ? [...keys.slice(0, position), ...keysFrom(fresh, count), ...keys.slice(position)]
              : [...keys.slice(0, position), ...keys.slice(position + count)];
          if (kind === 'insert') fresh += count;
          const next = layoutRowBlocks(keys, layout, confirmed);
          expectValid(next, keys);
          expectNoKeyChangedBlock(layout, next);
          layout = next;
        }
      }),
    );
  });
});
