/**
 * An SSE client for the multi-instance suites, as a browser behaves: it
 * reads frames, folds each event into the core timeline, and when the
 * connection ends or fails it reconnects, with its Last-Event-ID, to
 * whichever instance `pick` names next. It also checks "exactly once": each
 * delta must start exactly where the client's content ends.
 */
import { applyStreamEvent, createTimeline, type Timeline } from '../../src/index';
import { readFrames } from '../msw/sseClient';

export interface FollowResult {
  timeline: Timeline;
  /** Each delta that did not start where the content ended: a repeat or a hole. */
  problems: string[];
  connections: number;
  /** Data frames received, in order. */
  events: { id: string; event: { type: string; [key: string]: unknown }; connection: number }[];
  lastEventId: string | undefined;
}

export interface FollowOptions {
  conversationId: string;
  /** Base URL for connection number `n` (1-based). */
  pick: (connection: number) => string;
  /** Stop once this holds. */
  until: (timeline: Timeline) => boolean;
  /** Called after every event, e.g. to kill a server mid-reply. */
  onEvent?: (result: FollowResult) => void;
  lastEventId?: string;
  /** Gives up after this long. */
  timeoutMs?: number;
  /** Resolves once the first connection's response headers arrived. */
  onConnected?: () => void;
}

export async function follow(options: FollowOptions): Promise<FollowResult> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeoutMs ?? 30_000);
  const result: FollowResult = {
    timeline: createTimeline(options.conversationId),
    problems: [],
    connections: 0,
    events: [],
    lastEventId: options.lastEventId,
  };
  try {
    while (!abort.signal.aborted && result.connections < 50) {
      result.connections++;
      const base = options.pick(result.connections);
      try {
        const response = await fetch(
          `${base}/conversations/${encodeURIComponent(options.conversationId)}/stream`,
          {
            headers: result.lastEventId ? { 'last-event-id': result.lastEventId } : {},
            signal: abort.signal,
          },
        );
        if (result.connections === 1) options.onConnected?.();
        for await (const frame of readFrames(response.body!)) {
          if (frame.id !== undefined) result.lastEventId = frame.id;
          if (frame.data === undefined) continue;
          const event = JSON.parse(frame.data) as { type: string; [key: string]: unknown };
          result.events.push({ id: frame.id!, event, connection: result.connections });
          if (event.type === 'delta') {
            const has = result.timeline.getById(String(event.messageId))?.content.length ?? 0;
            if (event.offset !== has)
              result.problems.push(`delta at ${String(event.offset)}, client had ${has}`);
          }
          result.timeline = applyStreamEvent(result.timeline, event);
          options.onEvent?.(result);
          if (options.until(result.timeline)) return result;
        }
      } catch {
        // The instance died or refused: reconnect to the next one, as EventSource would.
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(
      `[bus-client] gave up after ${result.connections} connections; timeline: ${JSON.stringify(result.timeline.messages.map((m) => [m.sequence, m.status, m.content.length]))}`,
    );
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}
