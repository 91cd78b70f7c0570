/**
 * Each chaos option of the msw mock on its own, then all together: after a
 * burst of sends with streamed replies (and refetches racing them), the list
 * equals the server's truth — same ids, same order, same text and status —
 * with nothing duplicated and nothing lost.
 */
import { act, waitFor } from '@testing-library/react';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ChaosOptions, createMessageHandlers } from '../../src/msw/index';
import { newQueryClient, renderChat, setupMsw } from './harness';

const msw = setupMsw();

// Every development warning is recorded: the shipped mock's chaos is legal on the
// wire (reordering, duplicates, drops, stale pages), so none may fire.
const warnings: string[] = [];
beforeAll(() => {
  vi.spyOn(console, 'warn').mockImplementation((...args) => void warnings.push(args.join(' ')));
});
beforeEach(() => {
  warnings.length = 0;
});
afterAll(() => vi.restoreAllMocks());

const cases: [string, ChaosOptions | true][] = [
  ['latency', { latency: [0, 25] }],
  ['echoBeforeResponse', { echoBeforeResponse: true }],
  ['duplicates', { duplicates: 0.5 }],
  ['drops', { drops: 0.2 }],
  ['staleHistory', { staleHistory: 1 }],
  ['reorder', { reorder: { window: 4, holdMs: 10 } }],
  ['all together', true],
];

describe.each(cases)('chaos: %s', (name, chaos) => {
  it('converges on the server truth with no duplicate, no loss and no dev warning', async () => {
    const conversationId = `chaos-${name}`;
    const handlers = createMessageHandlers({
      seed: 7,
      chaos,
      reply: { chunkSize: 4, intervalMs: 1 },
      conversations: { [conversationId]: [{ role: 'user', content: 'seeded' }] },
    });
    msw.use(handlers);
    const queryClient = newQueryClient();
    const chat = renderChat(conversationId, { queryClient });
    await waitFor(() => expect(chat.texts()).toEqual(['seeded']));

    for (let i = 1; i <= 8; i++) {
      act(() => void chat.send(`message ${i}`));
      // Refetches race the stream, so a stale history page has live state to (try to) regress.
      if (i % 3 === 0) void queryClient.invalidateQueries();
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    void queryClient.invalidateQueries();

    const truth = () => handlers.db.messages(conversationId);
    await waitFor(
      async () => {
        await handlers.db.idle();
        expect(truth()).toHaveLength(17);
        expect(chat.ids()).toEqual(truth().map((m) => m.id));
        expect(chat.texts()).toEqual(truth().map((m) => m.content));
        expect(chat.rows().map((row) => row.dataset.status)).toEqual(truth().map((m) => m.status));
      },
      { timeout: 15_000, interval: 50 },
    );
    expect(new Set(chat.ids()).size).toBe(17);
    expect(truth().every((m) => m.status === 'complete')).toBe(true);
    expect(warnings).toEqual([]);
    chat.unmount();
  }, 30_000);
});
