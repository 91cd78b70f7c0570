import type { ReactNode } from 'react';
import type { SequenceGap } from '../index';
import type { LoadOlderProps, MessageRowProps } from './OrderedMessageList';

/** The rows `OrderedMessageList` renders when no render prop is given. */

export function defaultRow({
  message,
  isPending,
  isStreaming,
  isFailed,
  retry,
}: MessageRowProps): ReactNode {
  return (
    <div data-seqline-row="" data-role={message.role} data-status={message.status}>
      {message.content}
      {isPending && <small> Sending…</small>}
      {isStreaming && <span aria-hidden="true">▍</span>}
      {isFailed && (
        <span role="alert">
          {' '}
          {message.error ?? 'Not sent'}
          {retry && (
            <button type="button" onClick={retry}>
              Retry
            </button>
          )}
        </span>
      )}
    </div>
  );
}

export function defaultLoadOlder({
  isFetchingOlder,
  error,
  fetchOlder,
}: LoadOlderProps): ReactNode {
  // One element in every state: a sentinel that changed height at scrollTop 0 would move the rows.
  return (
    <button type="button" onClick={fetchOlder} disabled={isFetchingOlder}>
      {isFetchingOlder
        ? 'Loading older messages…'
        : error
          ? 'Could not load older messages. Retry'
          : 'Load older messages'}
    </button>
  );
}

/** Read by screen readers, not shown. */
export const VISUALLY_HIDDEN = {
  position: 'absolute',
  width: 1,
  height: 1,
  overflow: 'hidden',
  clipPath: 'inset(50%)',
  whiteSpace: 'nowrap',
} as const;

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function defaultGap(gap: SequenceGap): ReactNode {
  return (
    <div role="status" data-seqline-gap="">
      Loading messages {gap.from}–{gap.to}…
    </div>
  );
}
