/** useChat clients on seqline's transport, for the tests that send on one instance and resume on another. */
import { useChat } from '@ai-sdk/react';
import { act, renderHook } from '@testing-library/react';
import type { UIMessage } from 'ai';
import { expect } from 'vitest';
import { createSeqlineChatTransport, toUIMessage } from '../../src/ai/index';
import type { MessageStore } from '../../src/server/index';
import { eventually, textOf } from './support';

/**
 * A `useChat` on `sendBase` sends `text`; once its reply (the message at
 * `replySequence`) is streaming, a second `useChat` on `resumeBase` opens the
 * conversation from the store's history with `resume: true`, as a reload
 * or another device would. Resolves when the second one streams.
 */
export async function sendThenResumeElsewhere(options: {
  store: MessageStore;
  id: string;
  text: string;
  replySequence: number;
  sendBase: string;
  resumeBase: string;
}) {
  const { store, id } = options;
  const sender = renderHook(() =>
    useChat({ id, transport: createSeqlineChatTransport({ baseUrl: options.sendBase }) }),
  );
  await act(async () => {
    void sender.result.current.sendMessage({ text: options.text });
  });
  const reply = async () =>
    (await store.list(id, { limit: 100 })).find((m) => m.sequence === options.replySequence);
  await eventually(async () => expect((await reply())?.status).toBe('streaming'));
  const history = (await store.list(id, { limit: 100 })).map(toUIMessage);
  const resumer = renderHook(() =>
    useChat({
      id,
      transport: createSeqlineChatTransport({ baseUrl: options.resumeBase }),
      messages: history,
      resume: true,
    }),
  );
  await eventually(() => expect(resumer.result.current.status).not.toBe('ready'));
  return { sender, resumer, reply };
}

/** Waits until every client is done, then checks each ends with one assistant reply reading exactly `text`. */
export async function expectConverged(
  clients: { result: { current: { status: string; messages: readonly UIMessage[] } } }[],
  text: string,
): Promise<void> {
  await eventually(() => {
    for (const client of clients) expect(client.result.current.status).toBe('ready');
  });
  for (const client of clients) {
    const messages = client.result.current.messages;
    expect(messages.slice(-2).map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(textOf(messages.at(-1))).toBe(text);
  }
}
