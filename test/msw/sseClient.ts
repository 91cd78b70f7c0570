/**
 * A small SSE client over fetch for the tests: parses frames as the
 * EventSource spec does and reconnects with Last-Event-ID, like a browser.
 */

export interface SseFrame {
  id: string | undefined;
  data: string | undefined;
  comment: string | undefined;
  retry: number | undefined;
}

/** Parses a `text/event-stream` body into frames (comments included) until it ends. */
export async function* readFrames(body: ReadableStream<Uint8Array>): AsyncGenerator<SseFrame> {
  const reader = body
    .pipeThrough(new TextDecoderStream() as never)
    .getReader() as ReadableStreamDefaultReader<string>;
  let buffer = '';
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        yield parseBlock(block);
        end = buffer.indexOf('\n\n');
      }
    }
  } finally {
    reader.releaseLock();
  }
}

function parseBlock(block: string): SseFrame {
  const frame: SseFrame = { id: undefined, data: undefined, comment: undefined, retry: undefined };
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) frame.comment = line.slice(1).trim();
    else if (line.startsWith('id: ')) frame.id = line.slice(4);
    else if (line.startsWith('data: '))
      frame.data = frame.data === undefined ? line.slice(6) : `${frame.data}\n${line.slice(6)}`;
    else if (line.startsWith('retry: ')) frame.retry = Number(line.slice(7));
  }
  return frame;
}

export interface Received {
  id: string;
  event: { type: string; [key: string]: unknown };
  connection: number;
}

/**
 * Follows a stream, reconnecting (with the last id seen) whenever the server
 * closes it, until `signal` aborts. Calls `onEvent` for each data frame.
 */
export async function followStream(
  url: string,
  options: {
    signal: AbortSignal;
    onEvent: (received: Received) => void;
    lastEventId?: string;
    onConnect?: (n: number) => void;
  },
): Promise<{ connections: number; lastEventId: string | undefined }> {
  let lastEventId = options.lastEventId;
  let connections = 0;
  while (!options.signal.aborted) {
    connections++;
    options.onConnect?.(connections);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: lastEventId ? { 'last-event-id': lastEventId } : {},
        signal: options.signal,
      });
    } catch {
      break;
    }
    try {
      for await (const frame of readFrames(response.body!)) {
        if (frame.id !== undefined) lastEventId = frame.id;
        if (frame.data !== undefined) {
          options.onEvent({
            id: frame.id!,
            event: JSON.parse(frame.data),
            connection: connections,
          });
        }
      }
    } catch {
      // aborted mid-read
    }
  }
  return { connections, lastEventId };
}

/** Reads data frames from one connection until `count` arrived, then aborts it. */
export async function take(
  url: string,
  count: number,
  headers: Record<string, string> = {},
): Promise<Array<{ id: string; event: { type: string; [key: string]: unknown } }>> {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const out: Array<{ id: string; event: { type: string; [key: string]: unknown } }> = [];
  try {
    for await (const frame of readFrames(response.body!)) {
      if (frame.data !== undefined) out.push({ id: frame.id!, event: JSON.parse(frame.data) });
      if (out.length >= count) break;
    }
  } finally {
    abort.abort();
  }
  return out;
}

/**
 * Subscribes to the mock's production stream (`db.stream(id)`) directly, with
 * no HTTP and no chaos: the entries, in order, with the cursors the handler's
 * stream gives the same events. Subscribe before the traffic to see it live.
 */
export function record(
  db: { stream(id: string): { subscribe(after: undefined, sink: never): () => void } },
  id: string,
) {
  const entries: Array<{ cursor: string; event: { type: string; [key: string]: unknown } }> = [];
  const stop = db.stream(id).subscribe(undefined, {
    event: (entry: (typeof entries)[number]) => entries.push(entry),
    close: () => {},
  } as never);
  return { entries, stop };
}
