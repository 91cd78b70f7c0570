import type { CreateEventSource, EventSourceLike } from 'seqline/react';

/**
 * The chaos toggle, on the client: what a bad network does to a chat.
 * - every request waits 50–900 ms (a POST up to 400 ms more on the way back), so
 *   POST responses arrive after the stream already echoed the message (the page
 *   sends a conversation's messages one at a time, so they are still stored in
 *   send order);
 * - stream events are delayed and delivered out of order (a window of a few);
 * - now and then the stream is dropped, and the hook reconnects with
 *   Last-Event-ID.
 */
export interface Chaos {
  enabled: boolean;
}

export function chaosFetch(chaos: Chaos): typeof fetch {
  return async (input, init) => {
    if (chaos.enabled) await sleep(50 + Math.random() * 850);
    const response = await fetch(input, init);
    if (chaos.enabled && init?.method === 'POST') await sleep(Math.random() * 400);
    return response;
  };
}

export function chaosEventSource(inner: CreateEventSource, chaos: Chaos): CreateEventSource {
  return (url, init) => {
    const source = inner(url, init);
    if (!chaos.enabled) return source;
    // Events in arrival order; an event's id is only passed on once every event before it was
    // delivered, so resuming from it (after a drop) can never skip one that is still held back.
    const arrived: { data: string; id: string; delivered: boolean }[] = [];
    let safeId = init.lastEventId ?? '';
    let safeUpTo = 0;
    let state: number | undefined;
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const wrapper: EventSourceLike = {
      onmessage: null,
      onerror: null,
      onopen: null,
      get readyState() {
        return state ?? source.readyState;
      },
      close() {
        state = 2;
        for (const timer of timers) clearTimeout(timer);
        source.close();
      },
    };
    const deliver = (index: number) => {
      const event = arrived[index];
      if (!event || event.delivered || state === 2) return;
      event.delivered = true;
      while (safeUpTo < arrived.length && arrived[safeUpTo]!.delivered) {
        safeId = arrived[safeUpTo]!.id;
        safeUpTo++;
      }
      wrapper.onmessage?.({ data: event.data, lastEventId: safeId });
    };
    const flush = () => {
      const waiting = arrived.map((_, i) => i).filter((i) => !arrived[i]!.delivered);
      shuffle(waiting).forEach(deliver);
    };
    const drop = (error: unknown) => {
      if (state === 2) return;
      flush();
      state = 2;
      for (const timer of timers) clearTimeout(timer);
      source.close();
      wrapper.onerror?.(error);
    };
    source.onopen = (event) => wrapper.onopen?.(event);
    source.onerror = (error) => (source.readyState === 2 ? drop(error) : wrapper.onerror?.(error));
    source.onmessage = (message) => {
      if (state === 2) return;
      const index =
        arrived.push({ data: message.data, id: message.lastEventId, delivered: false }) - 1;
      if (Math.random() < 0.03) {
        drop(new Error('chaos: stream dropped'));
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        // Deliver this one, or one that arrived a little earlier: events overtake each other.
        const open = arrived
          .map((_, i) => i)
          .filter((i) => !arrived[i]!.delivered && i >= index - 3);
        deliver(open[Math.floor(Math.random() * open.length)] ?? index);
        if (timers.size === 0) flush();
      }, Math.random() * 250);
      timers.add(timer);
    };
    return wrapper;
  };
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
