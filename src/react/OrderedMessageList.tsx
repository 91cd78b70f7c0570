import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  type ComponentPropsWithoutRef,
  type ElementType,
  Fragment,
  memo,
  type ReactNode,
  type RefObject,
  useCallback,
  useMemo,
  useRef,
  useSyncExternalStore,
} from 'react';
import type { ConversationStore } from '../client/conversationStore';
import { type MessagesQueryInput, messagesQueryOptions } from '../client/messagesQueryOptions';
import { fetchOlderWith, getOlderHistory, hasOlderHistory } from '../client/olderHistory';
import { discardOptimistic, type SequenceGap, type TimelineMessage } from '../index';
import { layoutRowBlocks, type RowBlockLayout } from './layoutRowBlocks';
import { defaultGap, defaultLoadOlder, defaultRow, plural, VISUALLY_HIDDEN } from './listDefaults';
import { useFetchOptions } from './SeqlineProvider';
import { useChatScroll } from './useChatScroll';
import { useConversationStore } from './useConversationStore';

/** What the row render prop gets for one message. */
export interface MessageRowProps {
  message: TimelineMessage;
  /** The row's React key: `clientId ?? id`. It does not change when the message is confirmed. */
  messageKey: string;
  /** Sent, not yet confirmed by the server. */
  isPending: boolean;
  /** Content is arriving. */
  isStreaming: boolean;
  /** The send (or the reply) failed. */
  isFailed: boolean;
  /** For a failed send: re-send it with the same `clientId` (present once `useSendMessage` has failed it). */
  retry?: () => void;
  /** For a failed send: remove it. */
  discard?: () => void;
}

/** What `renderJumpToLatest` gets. */
export interface JumpToLatestProps {
  /** Messages added below while the reader was scrolled up. */
  newCount: number;
  /** Scrolls to the newest message and follows new ones again. */
  jump: () => void;
}

/** What `renderLoadOlder` gets: the older-history state of `useMessages`. */
export interface LoadOlderProps {
  isFetchingOlder: boolean;
  error: Error | null;
  fetchOlder: () => void;
}

/** Props of `OrderedMessageList`. */
export type OrderedMessageListProps<As extends ElementType = 'div'> = {
  conversationId: string;
  /**
   * Renders one message. Rows re-render only when their own message
   * changes; keep this function stable (`useCallback`) so that a list
   * re-render (a new message) does not re-render every row.
   * @default a row showing the content and its pending, streaming or failed (Retry) state
   */
  renderMessage?: (row: MessageRowProps) => ReactNode;
  /**
   * Renders a missing range of messages, where it belongs in the order.
   * @default a "Loading messages from–to…" status line
   */
  renderGap?: (gap: SequenceGap) => ReactNode;
  /**
   * How to load history (the same options as `useMessages`). The list loads
   * it itself but never re-renders for the query's state: the messages
   * reach it through the timeline.
   * @default {} (the default fetcher, with the `SeqlineProvider`'s options if any, else same origin)
   */
  history?: MessagesQueryInput;
  /** Shown when the conversation has no messages. */
  empty?: ReactNode;
  /**
   * The element that scrolls, when it is not the list itself (e.g. a
   * wrapper with `overflow: auto`). The list opens it at the bottom,
   * follows new messages while the reader is at the bottom, and keeps the
   * visible message in place when older pages load above it.
   * @default the list's own element: give it a height and `overflow-y: auto`
   */
  scrollRef?: RefObject<HTMLElement | null>;
  /**
   * Pixels from the bottom that still count as "at the bottom" (following).
   * @default 48
   */
  followThreshold?: number;
  /**
   * Rendered, after the rows, while the reader is scrolled up: a "jump to
   * latest" button, e.g. showing `newCount`. Style it sticky to keep it in view.
   * @default nothing
   */
  renderJumpToLatest?: (props: JumpToLatestProps) => ReactNode;
  /**
   * Rendered above the rows while there is older history, inside the
   * sentinel that loads the next page when it scrolls into view (when the
   * list, or `scrollRef`, is a scroll container): a button,
   * so keyboard and screen-reader users can load older messages too. Keep
   * its height the same in every state: at the very top, a change of height
   * above the rows cannot be scrolled away.
   * @default a "Load older messages" button (disabled, "Loading…", while loading)
   */
  renderLoadOlder?: (props: LoadOlderProps) => ReactNode;
  /**
   * The element (or component) that wraps the rows.
   * @default 'div'
   */
  as?: As;
} & Omit<ComponentPropsWithoutRef<As>, 'children' | 'as'>;

/**
 * Renders a conversation in order, one row per message, keyed by
 * `clientId ?? id`, and scrolls like a chat: it opens at the newest
 * message, follows new and streaming messages while the reader is at the
 * bottom, loads older pages when the top comes into view (or its "Load
 * older messages" button is pressed) without moving what the reader sees,
 * and announces new messages to screen readers (`role="status"`). The list subscribes to the order only and each row to
 * its own message, so a streamed token re-renders one row — not the list,
 * not the other rows — whatever the list's length. Use it under the same
 * `QueryClient` as `useMessages`, `useSendMessage` and `useMessageStream`.
 *
 * @example
 * <OrderedMessageList
 *   conversationId="c1"
 *   renderMessage={({ message, isFailed, retry }) => (
 *     <p>{message.content}{isFailed && <button onClick={retry}>Retry</button>}</p>
 *   )}
 * />
 */
export function OrderedMessageList<As extends ElementType = 'div'>(
  props: OrderedMessageListProps<As>,
): ReactNode {
  const {
    conversationId,
    renderMessage = defaultRow,
    renderGap = defaultGap,
    history: ownHistory,
    empty,
    as,
    scrollRef,
    followThreshold = 48,
    renderJumpToLatest,
    renderLoadOlder = defaultLoadOlder,
    ...rest
  } = props;
  const queryClient = useQueryClient();
  const store = useConversationStore(conversationId);
  const history = useFetchOptions(ownHistory ?? {});
  useQuery({ ...messagesQueryOptions(conversationId, history), notifyOnChangeProps: [] });
  const older = getOlderHistory(store);
  const olderState = useSyncExternalStore(older.subscribe, older.getState, older.getState);
  const keys = useSyncExternalStore(
    store.subscribe,
    () => store.getTimeline().keys,
    () => store.getTimeline().keys,
  );
  const gaps = useSyncExternalStore(
    store.subscribe,
    () => store.getTimeline().gaps,
    () => store.getTimeline().gaps,
  );
  // Which key each gap sits before: only walked when there are gaps (not on streamed tokens).
  const gapBefore = useMemo(() => {
    if (gaps.length === 0) return NO_GAPS;
    const at = new Map<string, SequenceGap>();
    const timeline = store.getTimeline();
    let next = 0;
    for (const key of keys) {
      const sequence = timeline.get(key)?.sequence;
      while (sequence != null && next < gaps.length && gaps[next]!.to < sequence)
        at.set(key, gaps[next++]!);
    }
    return at;
  }, [store, keys, gaps]);
  // Rows go in blocks (see layoutRowBlocks.ts), so a token costs O(√n) fiber visits, not O(n).
  // Recomputed only when the order changes, from the last layout so no row changes block.
  const layout = useRef<RowBlockLayout>(undefined);
  layout.current = layoutRowBlocks(
    keys,
    layout.current,
    (key) => store.getTimeline().get(key)?.sequence === null,
  );
  const { blocks } = layout.current;
  const latestHistory = useRef(history);
  latestHistory.current = history;
  const fetchOlder = useCallback(() => {
    void fetchOlderWith(queryClient, store, latestHistory.current);
  }, [queryClient, store]);
  const hasOlder = hasOlderHistory(olderState, store.getTimeline());
  // The live region is always a child of the rows' element: its parent is that element, whatever `as` is.
  const statusRef = useRef<HTMLDivElement>(null);
  const sentinelRef = useRef<HTMLDivElement>(null);
  const scroll = useChatScroll({
    marker: statusRef,
    scroller: scrollRef,
    sentinel: sentinelRef,
    keys,
    hasOlder,
    isFetchingOlder: olderState.isFetchingOlder,
    fetchOlder,
    threshold: followThreshold,
  });
  const Container: ElementType = as ?? 'div';
  return (
    <Container aria-busy={olderState.isFetchingOlder || undefined} {...rest}>
      {hasOlder && (
        <div ref={sentinelRef} data-seqline-older="">
          {renderLoadOlder({
            isFetchingOlder: olderState.isFetchingOlder,
            error: olderState.error,
            fetchOlder,
          })}
        </div>
      )}
      {blocks.length > 0
        ? blocks.map((block) => (
            <Block
              key={block.id}
              keys={block.keys}
              store={store}
              gapBefore={gapBefore}
              renderMessage={renderMessage}
              renderGap={renderGap}
            />
          ))
        : empty}
      {!scroll.atBottom &&
        renderJumpToLatest?.({ newCount: scroll.newCount, jump: scroll.jumpToLatest })}
      <div ref={statusRef} role="status" style={VISUALLY_HIDDEN}>
        {scroll.newCount > 0 ? plural(scroll.newCount, 'new message') : ''}
      </div>
    </Container>
  );
}

// ---------------------------------------------------------------------------

const NO_GAPS: ReadonlyMap<string, SequenceGap> = new Map();

interface BlockProps {
  keys: readonly string[];
  store: ConversationStore;
  gapBefore: ReadonlyMap<string, SequenceGap>;
  renderMessage: (row: MessageRowProps) => ReactNode;
  renderGap: (gap: SequenceGap) => ReactNode;
}

/** A run of rows; re-renders only when its keys, the gaps or the render props change. */
const Block = memo(function Block({
  keys,
  store,
  gapBefore,
  renderMessage,
  renderGap,
}: BlockProps) {
  const rows: ReactNode[] = [];
  for (const key of keys) {
    const gap = gapBefore.get(key);
    if (gap) rows.push(<GapRow key={`gap:${gap.from}-${gap.to}`} gap={gap} render={renderGap} />);
    rows.push(<Row key={key} store={store} messageKey={key} render={renderMessage} />);
  }
  // One keyed child, not the rows themselves: when a token updates another block, React still
  // completes this one and loops over its direct children (bubbleProperties), so keep that at 1.
  return <Fragment key="rows">{rows}</Fragment>;
});

interface RowProps {
  store: ConversationStore;
  messageKey: string;
  render: (row: MessageRowProps) => ReactNode;
}

const Row = memo(function Row({ store, messageKey, render }: RowProps) {
  const subscribe = useCallback(
    (listener: () => void) => store.subscribeKey(messageKey, listener),
    [store, messageKey],
  );
  const read = () => store.getTimeline().get(messageKey);
  const message = useSyncExternalStore(subscribe, read, read);
  if (!message) return null;
  const isFailed = message.status === 'failed';
  const unconfirmed = message.sequence === null;
  return render({
    message,
    messageKey,
    isPending: unconfirmed && message.status === 'pending',
    isStreaming: message.status === 'streaming',
    isFailed,
    retry: isFailed && unconfirmed ? store.getRetry(messageKey) : undefined,
    discard:
      isFailed && unconfirmed
        ? () => store.update((t) => discardOptimistic(t, messageKey))
        : undefined,
  });
});

const GapRow = memo(function GapRow({
  gap,
  render,
}: {
  gap: SequenceGap;
  render: (gap: SequenceGap) => ReactNode;
}) {
  return render(gap);
});
