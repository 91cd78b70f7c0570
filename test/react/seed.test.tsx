/**
 * The seed scenario of issue 5: 20 sends as fast as possible while an
 * assistant reply streams, then a "refresh" (new QueryClient, history
 * refetched from the mock server). The order must be the same before and
 * after, and equal the server's sequence order.
 */
import { act, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createMessageHandlers } from '../../src/msw/index';
import { renderChat, setupMsw } from './harness';

const msw = setupMsw();

describe('seed scenario', () => {
  it('20 fast sends during a streaming reply keep server order across a refresh', async () => {
    const handlers = createMessageHandlers({ seed: 42, reply: { chunkSize: 4, intervalMs: 2 } });
    msw.use(handlers);
    const chat = renderChat('seed');
    const truth = () => handlers.db.messages('seed').map((m) => m.content);

    act(() => void chat.send('first question'));
    // A reply starts streaming; fire the 20 sends while it does.
    await waitFor(() =>
      expect(chat.rows().some((row) => row.dataset.status === 'streaming')).toBe(true),
    );
    act(() => {
      for (let i = 1; i <= 20; i++) chat.send(`fast ${i}`);
    });
    await waitFor(
      () => {
        expect(handlers.db.messages('seed')).toHaveLength(42);
        expect(chat.texts()).toEqual(truth());
      },
      { timeout: 10_000 },
    );
    await handlers.db.idle();
    await waitFor(() => expect(chat.texts()).toEqual(truth()));
    const before = chat.texts();
    const beforeIds = chat.ids();
    expect(beforeIds).toEqual(handlers.db.messages('seed').map((m) => m.id));
    expect(new Set(chat.rows().map((row) => row.dataset.row)).size).toBe(42);
    chat.unmount();

    const refreshed = renderChat('seed');
    await waitFor(() => expect(refreshed.texts()).toHaveLength(42));
    expect(refreshed.texts()).toEqual(before);
    expect(refreshed.ids()).toEqual(beforeIds);
    expect(refreshed.texts()).toEqual(truth());
    refreshed.unmount();
  });
});
