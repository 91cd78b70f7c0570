/**
 * The mock database's versioned message list against the obvious model (a
 * sorted copy of the whole list per commit, the last 32 kept): same newest
 * list, same old versions, whatever the commits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/index';
import { createVersionedMessages } from '../../src/msw/versions';

const message = (sequence: number, content: string): Message => ({
  id: `m${sequence}`,
  conversationId: 'c1',
  sequence,
  createdAt: '2026-01-01T00:00:00.000Z',
  role: 'user',
  content,
  status: 'complete',
});

describe('createVersionedMessages', () => {
  it('property: matches a full copy per commit, for the newest and every kept version', () => {
    const commit = fc.array(
      fc.tuple(fc.integer({ min: 1, max: 40 }), fc.string({ maxLength: 3 })),
      { minLength: 1, maxLength: 3 },
    );
    fc.assert(
      fc.property(fc.array(commit, { maxLength: 60 }), (commits) => {
        const kept = 8;
        const store = createVersionedMessages(kept);
        const model: Message[][] = [];
        for (const changes of commits) {
          const changed = changes.map(([sequence, content]) => message(sequence, content));
          store.commit(changed);
          const next = [...(model.at(-1) ?? [])];
          for (const m of changed) {
            const at = next.findIndex((x) => x.id === m.id);
            if (at === -1) next.push(m);
            else next[at] = m;
          }
          next.sort((a, b) => a.sequence! - b.sequence!);
          model.push(next);
          if (model.length > kept) model.shift();
        }
        expect(store.versions).toBe(model.length);
        expect(store.messages).toEqual(model.at(-1) ?? []);
        for (let v = 0; v < model.length; v++) expect(store.at(v)).toEqual(model[v]);
        for (const m of model.at(-1) ?? []) expect(store.get(m.id)).toBe(m);
      }),
    );
  });
});
