import { type RefObject, useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';

/** What `useChatScroll` needs from the list. */
export interface ChatScrollInput {
  /** An element among the rows: its parent is the element holding them. */
  marker: RefObject<HTMLElement | null>;
  /** The element that scrolls, when it is not `list` itself. */
  scroller: RefObject<HTMLElement | null> | undefined;
  /** The top sentinel (rendered while there is older history). */
  sentinel: RefObject<HTMLElement | null>;
  /** The rows' keys in order: a new value when rows are added, removed or moved. */
  keys: readonly string[];
  hasOlder: boolean;
  isFetchingOlder: boolean;
  fetchOlder: () => void;
  /** Pixels from the bottom that still count as "at the bottom". */
  threshold: number;
}

/** What the list renders from it. */
export interface ChatScrollState {
  /** The reader is at (or within `threshold` of) the bottom: new content is followed. */
  atBottom: boolean;
  /** Messages added below while the reader was scrolled up. */
  newCount: number;
  /** Scrolls to the newest message and follows again. */
  jumpToLatest: () => void;
}

/**
 * Chat scrolling for a list of rows: opens at the bottom, follows new and
 * streaming content while the reader is at the bottom, keeps the row at the
 * top of the viewport where it was when anything above it changes (older
 * pages, gap rows), and asks for older pages when the top sentinel shows.
 * It does its own anchoring (and turns the browser's `overflow-anchor`
 * off) so every browser behaves the same; without layout (SSR, jsdom) it
 * does nothing.
 */
export function useChatScroll(input: ChatScrollInput): ChatScrollState {
  const { marker, scroller, sentinel, keys, hasOlder, isFetchingOlder, threshold } = input;
  const [atBottom, setAtBottom] = useState(true);
  const [newCount, setNewCount] = useState(0);
  const following = useRef(true);
  const anchor = useRef<{ element: Element; offset: number } | undefined>(undefined);
  const previousKeys = useRef<readonly string[]>(keys);
  const fetchOlder = useRef(input.fetchOlder);
  fetchOlder.current = input.fetchOlder;

  const rows = useCallback(() => marker.current?.parentElement ?? null, [marker]);
  const element = useCallback(() => scroller?.current ?? rows(), [scroller, rows]);

  /** Puts the view back where the reader had it: at the bottom, or with the anchor row unmoved. */
  const adjust = useCallback(() => {
    const scroll = element();
    const list = rows();
    if (!scroll || !list) return;
    // Runs on every streamed token: O(1) DOM reads, no walk over the rows (the scroll
    // listener finds the anchor when the reader moves, not this).
    if (following.current) {
      scroll.scrollTop = scroll.scrollHeight;
    } else if (anchor.current?.element.isConnected) {
      const moved = offsetIn(scroll, anchor.current.element) - anchor.current.offset;
      if (moved !== 0) scroll.scrollTop += moved;
    } else {
      anchor.current = findAnchor(scroll, list);
    }
  }, [element, rows]);

  // Rows added, removed or moved (a new page, a message, a gap): adjust before paint.
  useLayoutEffect(() => {
    const previous = previousKeys.current;
    previousKeys.current = keys;
    if (!following.current && previous.length > 0 && keys !== previous) {
      const last = previous[previous.length - 1]!;
      const at = keys.lastIndexOf(last);
      if (at !== -1 && at < keys.length - 1) setNewCount((n) => n + keys.length - 1 - at);
    }
    adjust();
  }, [keys, adjust]);

  // Content changed inside rows (streamed tokens) or the scroller was resized: same rule.
  useEffect(() => {
    const scroll = element();
    const list = rows();
    if (!scroll || !list) return;
    scroll.style.overflowAnchor = 'none';
    const onScroll = () => {
      const bottom = scroll.scrollHeight - scroll.scrollTop - scroll.clientHeight <= threshold;
      following.current = bottom;
      setAtBottom(bottom);
      if (bottom) setNewCount(0);
      anchor.current = findAnchor(scroll, list);
    };
    scroll.addEventListener('scroll', onScroll, { passive: true });
    const mutations =
      typeof MutationObserver === 'undefined' ? undefined : new MutationObserver(adjust);
    mutations?.observe(list, { childList: true, subtree: true, characterData: true });
    const resizes = typeof ResizeObserver === 'undefined' ? undefined : new ResizeObserver(adjust);
    resizes?.observe(scroll);
    return () => {
      scroll.removeEventListener('scroll', onScroll);
      mutations?.disconnect();
      resizes?.disconnect();
    };
  }, [element, rows, adjust, threshold]);

  // Recreated after each page, so a sentinel still in view (a short page) asks again.
  useEffect(() => {
    const target = sentinel.current;
    const root = element();
    // Only in a scroll container: in a list the page scrolls, the sentinel would stay in view
    // above every page it loads and pull in the whole history. Its button still works there.
    if (!hasOlder || isFetchingOlder || !target || !root || !scrolls(root)) return;
    if (typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) fetchOlder.current();
      },
      { root, rootMargin: '100px 0px 0px 0px' },
    );
    observer.observe(target);
    return () => observer.disconnect();
  }, [hasOlder, isFetchingOlder, sentinel, element]);

  const jumpToLatest = useCallback(() => {
    following.current = true;
    setAtBottom(true);
    setNewCount(0);
    adjust();
  }, [adjust]);

  return { atBottom, newCount, jumpToLatest };
}

// ---------------------------------------------------------------------------

/** The first child of `rows` still visible at the top of `scroll` (binary search: O(log n) reads). */
function findAnchor(
  scroll: HTMLElement,
  rows: HTMLElement,
): { element: Element; offset: number } | undefined {
  const children = rows.children;
  const top = scroll.getBoundingClientRect().top;
  let low = 0;
  let high = children.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (children[mid]!.getBoundingClientRect().bottom <= top) low = mid + 1;
    else high = mid;
  }
  let element = children[low];
  // Never the sentinel: it stays on top of whatever loads, so the rows would move under it.
  if (element?.hasAttribute('data-seqline-older'))
    element = element.nextElementSibling ?? undefined;
  return element ? { element, offset: offsetIn(scroll, element) } : undefined;
}

function scrolls(element: HTMLElement): boolean {
  return /^(auto|scroll|overlay)$/.test(getComputedStyle(element).overflowY);
}

function offsetIn(scroll: HTMLElement, element: Element): number {
  return element.getBoundingClientRect().top - scroll.getBoundingClientRect().top;
}
