import type { Message } from '../core/schemas';

/**
 * One conversation of the mock database: its messages in sequence order,
 * and its last `kept` versions for the stale-history chaos. A commit costs
 * O(changed) (appends in sequence order, the usual case; an insert earlier
 * in the order costs O(n)); reading an old version costs O(n + changes
 * since). Copying the whole list on every commit made n sends O(n²).
 */
export interface VersionedMessages {
  /** The newest version, in sequence order. Do not mutate. */
  readonly messages: readonly Message[];
  /** How many versions are kept (at most `kept`); the newest is `versions - 1`. */
  readonly versions: number;
  /** Replaces (by id) or adds each message: one new version. */
  commit(changed: readonly Message[]): void;
  /** The message with this id in the newest version. */
  get(id: string): Message | undefined;
  /** Version `version` (clamped to those kept), in sequence order. */
  at(version: number): Message[];
}

export function createVersionedMessages(kept: number): VersionedMessages {
  const list: Message[] = [];
  const position = new Map<string, number>();
  /** Per version after the oldest kept: each change as [id, the message before it, or undefined when added]. */
  const undo: [string, Message | undefined][][] = [];
  let versions = 0;

  const insert = (message: Message) => {
    const sequence = message.sequence ?? 0;
    let at = list.length;
    if (at > 0 && (list[at - 1]!.sequence ?? 0) > sequence) {
      // Rare: a message sorting before the newest. Binary search, then re-index what moved.
      let low = 0;
      while (low < at) {
        const mid = (low + at) >>> 1;
        if ((list[mid]!.sequence ?? 0) > sequence) at = mid;
        else low = mid + 1;
      }
      list.splice(at, 0, message);
      for (let i = at; i < list.length; i++) position.set(list[i]!.id, i);
      return;
    }
    list.push(message);
    position.set(message.id, at);
  };

  return {
    get messages() {
      return list;
    },
    get versions() {
      return versions;
    },
    commit(changed) {
      const changes: [string, Message | undefined][] = [];
      for (const message of changed) {
        const at = position.get(message.id);
        changes.push([message.id, at === undefined ? undefined : list[at]]);
        if (at === undefined) insert(message);
        else list[at] = message;
      }
      if (versions > 0) undo.push(changes);
      if (undo.length >= kept) undo.shift();
      versions = Math.min(versions + 1, kept);
    },
    get(id) {
      const at = position.get(id);
      return at === undefined ? undefined : list[at];
    },
    at(version) {
      const back = versions - 1 - Math.max(0, Math.min(version, versions - 1));
      if (back <= 0) return [...list];
      // Oldest wins: walk the undo log from the newest version back `back` steps.
      const before = new Map<string, Message | undefined>();
      for (let i = undo.length - 1; i >= undo.length - back; i--) {
        const changes = undo[i]!;
        for (let j = changes.length - 1; j >= 0; j--) before.set(changes[j]![0], changes[j]![1]);
      }
      const out: Message[] = [];
      for (const message of list) {
        if (!before.has(message.id)) out.push(message);
        else {
          const previous = before.get(message.id);
          if (previous) out.push(previous);
        }
      }
      return out;
    },
  };
}
