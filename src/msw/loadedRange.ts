import type { StreamEvent } from '../core/schemas';
import type { MockDb } from './db';

/**
 * Events about messages the client loaded as history (sequence at or below
 * `after`, final by the client's account), which a fresh subscriber skips:
 * the log replays every event since the page opened, and a 100k-message
 * conversation must not come back over the stream.
 */
export function loadedRange(db: MockDb, conversationId: string, after: number) {
  const newer = new Set<string>();
  const refresh = () => {
    for (const message of db.history(conversationId, { after })) newer.add(message.id);
  };
  refresh();
  return {
    has(event: StreamEvent): boolean {
      if (event.type === 'message') {
        const { sequence, id } = event.message;
        if (sequence !== null && sequence <= after) return true;
        newer.add(id);
        return false;
      }
      // A delta or status of a message stored since (its message event may come later under chaos).
      if (!newer.has(event.messageId)) refresh();
      return !newer.has(event.messageId);
    },
  };
}
