/**
 * Issue 15: a history page the schema rejected (Drizzle rows with `clientId:
 * null` were one) was retried three times over ~7 s with nothing on screen or
 * in the console. Now `useMessages().error` has it at once, and a
 * development warning names the conversation.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, waitFor } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { expect, it, vi } from 'vitest';
import { ValidationError } from '../../src/index';
import { type UseMessagesResult, useMessages } from '../../src/react/index';
import { BASE, setupMsw } from './harness';

const msw = setupMsw();

const seen: { current?: UseMessagesResult } = {};
function Probe() {
  seen.current = useMessages('bad', { baseUrl: BASE });
  return null;
}

it('a rejected history page is the error at once, and warned, while TanStack Query retries', async () => {
  let requests = 0;
  msw.server.use(
    http.get('*/conversations/:id/messages', () => {
      requests++;
      return HttpResponse.json({
        messages: [{ id: 'm1', conversationId: 'bad', sequence: 'one' }],
      });
    }),
  );
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  // TanStack Query's default: 3 retries, 1 s, 2 s, 4 s apart.
  const queryClient = new QueryClient();
  const view = render(
    <QueryClientProvider client={queryClient}>
      <Probe />
    </QueryClientProvider>,
  );
  await waitFor(() => expect(seen.current?.error).toBeInstanceOf(ValidationError), {
    timeout: 900,
  });
  expect(seen.current?.error?.message).toMatch(/sequence/);
  expect(requests).toBe(1);
  expect(warn.mock.calls.flat().join('\n')).toMatch(/history page of "bad" was rejected/);
  view.unmount();
  queryClient.clear();
  warn.mockRestore();
});
