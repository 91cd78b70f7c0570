/**
 * A stream client that applies events exactly as docs/protocol.md words
 * them, and nothing more: a `message` is a full snapshot and replaces what
 * the client has (upsert), a `delta` appends the part past the content at
 * its offset, a `status` ends the message. seqline's own client is more
 * forgiving (it keeps the longer content); this one shows what any client
 * written from the docs would see. It also records, as a problem, every
 * snapshot shorter or behind what it already had (the protocol forbids a
 * server to send one) and every delta that would leave a hole.
 *
 * Self-contained and dependency-free: the browser tests serve this very
 * file, compiled, to Chromium's `EventSource`.
 */
export interface LiteralMessage {
  id: string;
  sequence: number | null;
  content: string;
  status: string;
}

export interface LiteralClient {
  /** Folds one stream event (parsed `data:`) in. */
  apply(event: LiteralEvent): void;
  /** The messages by id. */
  readonly messages: Map<string, LiteralMessage>;
  /** Snapshots that went back, deltas with a hole, repeats: empty when the server kept the protocol. */
  readonly problems: string[];
  /** Deltas and snapshots applied, for the test's own bookkeeping. */
  readonly applied: number;
}

export type LiteralEvent =
  | {
      type: 'message';
      message: { id: string; sequence: number | null; content: string; status: string };
    }
  | { type: 'delta'; messageId: string; offset: number; text: string }
  | { type: 'status'; messageId: string; status: string };

export function createLiteralClient(): LiteralClient {
  const rank: Record<string, number> = { pending: 0, streaming: 1, complete: 2, failed: 2 };
  const messages = new Map<string, LiteralMessage>();
  const problems: string[] = [];
  let applied = 0;
  return {
    messages,
    problems,
    get applied() {
      return applied;
    },
    apply(event) {
      applied++;
      if (event.type === 'message') {
        const { id, sequence, content, status } = event.message;
        const had = messages.get(id);
        if (had && content.length < had.content.length) {
          problems.push(
            `snapshot of ${id} went back: ${had.content.length} → ${content.length} characters`,
          );
        }
        if (had && (rank[status] ?? 0) < (rank[had.status] ?? 0)) {
          problems.push(`snapshot of ${id} went back: ${had.status} → ${status}`);
        }
        messages.set(id, { id, sequence, content, status });
        return;
      }
      const message = messages.get(event.messageId) ?? {
        id: event.messageId,
        sequence: null,
        content: '',
        status: 'streaming',
      };
      messages.set(event.messageId, message);
      if (event.type === 'status') {
        message.status = event.status;
        return;
      }
      if (event.offset > message.content.length) {
        problems.push(
          `delta of ${event.messageId} at ${event.offset}, content is ${message.content.length}: a hole`,
        );
        return;
      }
      const end = event.offset + event.text.length;
      if (end > message.content.length) {
        message.content += event.text.slice(message.content.length - event.offset);
      }
    },
  };
}
