/** Checks shared by the play functions: what the list shows against the mock server's truth. */
import { expect, waitFor } from 'storybook/test';
import type { MockServer } from './mockServer';

/** The rows the list renders, top to bottom. */
export function renderedRows(canvas: HTMLElement) {
  return [...canvas.querySelectorAll<HTMLElement>('.seqline-chat__list [data-message-key]')].map(
    (row) => ({
      id: row.dataset.messageId,
      sequence: row.dataset.sequence === undefined ? null : Number(row.dataset.sequence),
      status: row.dataset.status,
      content: row.querySelector('.seqline-row__content')?.textContent ?? '',
    }),
  );
}

/**
 * Waits until the server has finished every reply and the list shows
 * exactly its messages, in sequence order, with the same content.
 */
export async function expectListMatchesServer(
  canvas: HTMLElement,
  server: MockServer,
  timeout = 10_000,
  /** Compare only the server's newest messages: how many the list loaded (a long conversation). */
  loaded?: number,
) {
  await server.idle();
  await waitFor(
    () => {
      const truth = loaded === undefined ? server.truth() : server.truth().slice(-loaded);
      expect(truth.every((m) => m.status === 'complete')).toBe(true);
      expect(renderedRows(canvas)).toEqual(
        truth.map((m) => ({
          id: m.id,
          sequence: m.sequence,
          status: m.status,
          content: m.content,
        })),
      );
    },
    { timeout, interval: 50 },
  );
}
