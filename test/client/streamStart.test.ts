/**
 * When the stream may open: after the history query has settled, so it can
 * start after the loaded range. A history query created in the same render
 * as the stream (its observer subscribes in an effect that runs after a
 * child's) must be waited for too: opening at once sent `GET …/stream` with
 * no `?after=`, and the server the whole conversation.
 */
import { QueryClient, QueryObserver } from '@tanstack/query-core';
import { describe, expect, it } from 'vitest';
import { messagesQueryKey } from '../../src/client';
import { whenHistorySettled } from '../../src/client/streamStart';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('whenHistorySettled', () => {
  it('waits for a history query created now and observed a moment later', async () => {
    const client = new QueryClient();
    let answer: (rows: unknown[]) => void = () => {};
    // As useQuery does in render: the query is in the cache, nothing fetches or observes it yet.
    const observer = new QueryObserver(client, {
      queryKey: messagesQueryKey('c1'),
      queryFn: () => new Promise<unknown[]>((resolve) => (answer = resolve)),
    });
    let ready = 0;
    whenHistorySettled(client, 'c1', () => ready++);
    // The parent's effect, after the child's: the observer subscribes and the fetch starts.
    const stop = observer.subscribe(() => {});
    await tick();
    expect(ready).toBe(0);
    answer([]);
    await tick();
    expect(ready).toBe(1);
    stop();
  });

  it('opens on the next task when there is no history query, and never twice', async () => {
    const client = new QueryClient();
    let ready = 0;
    whenHistorySettled(client, 'c1', () => ready++);
    expect(ready).toBe(0);
    await tick();
    expect(ready).toBe(1);
    client.setQueryData(messagesQueryKey('c1'), []);
    await tick();
    expect(ready).toBe(1);
  });

  it('cancelled before the check: never opens', async () => {
    const client = new QueryClient();
    let ready = 0;
    const cancel = whenHistorySettled(client, 'c1', () => ready++);
    cancel();
    await tick();
    expect(ready).toBe(0);
  });
});
