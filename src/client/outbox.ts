import type { MessageRole } from '../index';

/**
 * A message the user sent that the server has not acknowledged yet: queued,
 * in flight, or failed for good (kept until it is retried or discarded).
 */
export interface OutboxEntry {
  conversationId: string;
  /** The message's idempotency key: re-sending it after a reload stores it once. */
  clientId: string;
  role: MessageRole;
  content: string;
  /** Extra fields of the draft (attachments, metadata, …). */
  extra?: Record<string, unknown>;
  /** When it was first shown (display only). */
  createdAt: string;
  /** Send order across reloads: entries are re-sent in ascending `order`. */
  order: number;
  /** Set when the send failed for good; the entry comes back as a failed message with Retry. */
  error?: string;
}

/**
 * Where unacknowledged sends survive a reload. Methods may be synchronous
 * (localStorage) or return promises (IndexedDB, AsyncStorage, …).
 *
 * @example
 * // Keep one user's unsent messages from another's on a shared browser:
 * useSendMessage(id, { outbox: createWebStorageOutbox(localStorage, { prefix: `chat:${userId}` }) });
 */
export interface Outbox {
  /** Every entry of one conversation, in any order. */
  load(conversationId: string): readonly OutboxEntry[] | Promise<readonly OutboxEntry[]>;
  /** Adds or replaces the entry with this conversation and clientId. */
  save(entry: OutboxEntry): void | Promise<void>;
  /** Forgets an entry (acknowledged, or discarded by the user). */
  remove(conversationId: string, clientId: string): void | Promise<void>;
}

/** The subset of the Web Storage API (`localStorage`, `sessionStorage`) the outbox uses. */
export interface WebStorageLike {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Options for `createWebStorageOutbox`. */
export interface WebStorageOutboxOptions {
  /**
   * Prefix of every key (`{prefix}:{conversationId}:{clientId}`). Put the
   * signed-in user in it on a browser people share.
   * @default 'seqline:outbox'
   */
  prefix?: string;
}

/**
 * An outbox in Web Storage, one key per entry, so tabs that write at once
 * never overwrite each other's entries. With `localStorage` (the default in
 * browsers) unsent messages survive a reload and a closed tab.
 *
 * @example
 * const outbox = createWebStorageOutbox(window.localStorage);
 */
export function createWebStorageOutbox(
  storage: WebStorageLike,
  options: WebStorageOutboxOptions = {},
): Outbox {
  const prefix = `${options.prefix ?? 'seqline:outbox'}:`;
  const keyOf = (conversationId: string, clientId: string) =>
    `${prefix}${encodeURIComponent(conversationId)}:${clientId}`;
  return {
    load(conversationId) {
      const start = `${prefix}${encodeURIComponent(conversationId)}:`;
      const entries: OutboxEntry[] = [];
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i);
        if (key === null || !key.startsWith(start)) continue;
        const entry = readEntry(storage.getItem(key));
        if (entry?.conversationId === conversationId) entries.push(entry);
      }
      return entries;
    },
    save(entry) {
      storage.setItem(keyOf(entry.conversationId, entry.clientId), JSON.stringify(entry));
    },
    remove(conversationId, clientId) {
      storage.removeItem(keyOf(conversationId, clientId));
    },
  };
}

/**
 * An outbox in memory: unsent messages survive a remount and a new
 * `QueryClient` in the same process, not a reload. The default where there
 * is no `localStorage` (Node, React Native without a storage).
 */
export function createMemoryOutbox(): Outbox {
  const entries = new Map<string, Map<string, OutboxEntry>>();
  return {
    load: (conversationId) => [...(entries.get(conversationId)?.values() ?? [])],
    save(entry) {
      const byClientId = entries.get(entry.conversationId) ?? new Map<string, OutboxEntry>();
      entries.set(entry.conversationId, byClientId.set(entry.clientId, entry));
    },
    remove(conversationId, clientId) {
      entries.get(conversationId)?.delete(clientId);
    },
  };
}

/** localStorage where it can be used (a browser), else one shared memory outbox. */
export function defaultOutbox(): Outbox {
  fallback ??= webStorage() ?? createMemoryOutbox();
  return fallback;
}

// ---------------------------------------------------------------------------

let fallback: Outbox | undefined;

function webStorage(): Outbox | undefined {
  try {
    // Reading `localStorage` throws where storage is blocked (sandboxed iframes, some privacy modes).
    const storage = (globalThis as { localStorage?: WebStorageLike }).localStorage;
    return storage ? createWebStorageOutbox(storage) : undefined;
  } catch {
    return undefined;
  }
}

/** A stored entry, or undefined for anything else under the prefix (corrupt or foreign). */
function readEntry(raw: string | null): OutboxEntry | undefined {
  if (raw === null) return undefined;
  try {
    const entry = JSON.parse(raw) as Partial<OutboxEntry> | null;
    const valid =
      typeof entry?.conversationId === 'string' &&
      typeof entry.clientId === 'string' &&
      typeof entry.content === 'string' &&
      typeof entry.role === 'string' &&
      typeof entry.createdAt === 'string' &&
      typeof entry.order === 'number';
    return valid ? (entry as OutboxEntry) : undefined;
  } catch {
    return undefined;
  }
}
