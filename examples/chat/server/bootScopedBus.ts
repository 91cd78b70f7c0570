import { randomBytes } from 'node:crypto';
import type { MessageBus } from 'seqline/server';

/**
 * Wraps a bus whose cursors only mean something inside this process (the
 * memory bus numbers entries 1, 2, … from every start) so its cursors carry
 * this boot's id. A client that reconnects after a restart with an old
 * cursor then gets everything the new bus holds, instead of skipping the
 * first N entries of the new process. A shared bus (Redis) does not need it.
 */
export function bootScopedBus(bus: MessageBus, boot = randomBytes(4).toString('hex')): MessageBus {
  const prefix = `${boot}-`;
  return {
    async publish(conversationId, event) {
      return prefix + (await bus.publish(conversationId, event));
    },
    subscribe(conversationId, fromCursor, sink) {
      const own = fromCursor?.startsWith(prefix) ? fromCursor.slice(prefix.length) : undefined;
      return bus.subscribe(conversationId, own, {
        event: (entry) => sink.event({ ...entry, cursor: prefix + entry.cursor }),
        ...(sink.resync ? { resync: () => sink.resync?.() } : {}),
      });
    },
    close: () => bus.close(),
  };
}
