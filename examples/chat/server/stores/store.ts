import type { Message } from 'seqline';
import type { ReplyUpdate } from 'seqline/server';

/** A user turn to store: the prompt, and the empty assistant reply reserved right after it. */
export interface TurnInput {
  conversationId: string;
  clientId: string;
  content: string;
  /** ISO 8601, from the server's clock (never the client's). */
  createdAt: string;
}

/** What `createTurn` stored, or found already stored for the same `clientId`. */
export interface TurnResult {
  message: Message;
  reply: Message | undefined;
  /** `false` when the same `clientId` was sent before: nothing new was stored. */
  created: boolean;
}

/** A conversation as the sidebar lists it. */
export interface ConversationSummary {
  id: string;
  messages: number;
  lastSequence: number;
}

/** A reply that was streaming when the server stopped, with the prompt it answers. */
export interface UnfinishedReply {
  reply: Message;
  prompt: Message | undefined;
}

/**
 * The demo's storage, one implementation per engine. Every method is one
 * short transaction or query; sequences come from the allocator the store
 * was built with (see ./allocation.ts).
 */
export interface ChatStore {
  readonly engine: 'sqlite' | 'postgres' | 'mysql';
  /** Human-readable location, printed at start. */
  readonly location: string;
  /** Creates the tables if they are missing. Safe on every start. */
  init(): Promise<void>;
  /**
   * Stores the prompt and the reply placeholder with two adjacent sequences
   * (`nextRange(conversationId, 2)`), in one transaction. Idempotent on
   * `(conversationId, clientId)`.
   */
  createTurn(input: TurnInput): Promise<TurnResult>;
  /** Messages with a sequence above `after`, ascending, at most `limit`. */
  listMessages(conversationId: string, after: number, limit: number): Promise<Message[]>;
  /** The `limit` messages just below `before` (`Number.MAX_SAFE_INTEGER` for the latest), ascending. */
  listMessagesBefore(conversationId: string, before: number, limit: number): Promise<Message[]>;
  /** One message by id, in any conversation. */
  getMessage(id: string): Promise<Message | undefined>;
  /** Writes a reply's content and status (the reply writer's `persist`). */
  updateReply(update: ReplyUpdate): Promise<void>;
  /** Replies still `pending` or `streaming`: interrupted by a stop, to resume or fail on start. */
  unfinishedReplies(): Promise<UnfinishedReply[]>;
  listConversations(): Promise<ConversationSummary[]>;
  /** `MAX(sequence)` of a conversation, 0 when empty: the Redis allocator's floor. */
  maxSequence(conversationId: string): Promise<number>;
  close(): Promise<void>;
}

/** Table names, kept apart from other apps sharing the database. */
export const MESSAGES_TABLE = 'seqline_demo_messages';
export const COUNTERS_TABLE = 'seqline_demo_counters';

/** A stored row in the shape every engine returns it (snake_case, loose types). */
export interface MessageRow {
  id: string;
  conversation_id: string;
  sequence: number | string | bigint;
  client_id: string | null;
  role: string;
  content: string;
  status: string;
  error: string | null;
  created_at: string;
  reply_to?: string | null;
}

/** Turns a row into a wire `Message` (drivers return BIGINT as strings or bigints). */
export function toMessage(row: MessageRow): Message {
  return {
    id: String(row.id),
    conversationId: String(row.conversation_id),
    sequence: Number(row.sequence),
    createdAt: String(row.created_at),
    ...(row.client_id ? { clientId: row.client_id } : {}),
    role: row.role as Message['role'],
    content: row.content,
    status: row.status as Message['status'],
    ...(row.error ? { error: row.error } : {}),
  };
}

/** Every column of {@link MESSAGES_TABLE}, in {@link MessageRow}'s order. */
export const COLUMNS =
  'id, conversation_id, sequence, client_id, role, content, status, error, created_at, reply_to';

/** Runs one statement and returns its rows: on `client`, or the store's pool without one. */
export type RowsQuery<Client> = (
  text: string,
  values: unknown[],
  client?: Client,
) => Promise<MessageRow[]>;

/**
 * The reads the Postgres and MySQL stores make alike: the same statements through
 * each driver's `rows`, written with its placeholders (`$1` or `?`). `findTurn` for
 * `createTurn`, and the three {@link ChatStore} reads.
 */
export function pooledReads<Client>(rows: RowsQuery<Client>, placeholder: (n: number) => string) {
  const select = (where: string) =>
    /* sql */ `SELECT ${COLUMNS} FROM ${MESSAGES_TABLE} WHERE ${where}`;
  const [p1, p2, p3] = [placeholder(1), placeholder(2), placeholder(3)];

  return {
    /** The turn already stored for `(conversationId, clientId)`, with its reply. */
    async findTurn(
      client: Client,
      conversationId: string,
      clientId: string,
    ): Promise<TurnResult | undefined> {
      const [row] = await rows(
        select(`conversation_id = ${p1} AND client_id = ${p2}`),
        [conversationId, clientId],
        client,
      );
      if (!row) return undefined;
      const [reply] = await rows(select(`reply_to = ${p1}`), [row.id], client);
      return { message: toMessage(row), reply: reply && toMessage(reply), created: false };
    },
    async listMessages(conversationId: string, after: number, limit: number): Promise<Message[]> {
      const found = await rows(
        select(`conversation_id = ${p1} AND sequence > ${p2} ORDER BY sequence LIMIT ${p3}`),
        [conversationId, after, limit],
      );
      return found.map(toMessage);
    },
    async listMessagesBefore(
      conversationId: string,
      before: number,
      limit: number,
    ): Promise<Message[]> {
      const found = await rows(
        select(`conversation_id = ${p1} AND sequence < ${p2} ORDER BY sequence DESC LIMIT ${p3}`),
        [conversationId, before, limit],
      );
      return found.map(toMessage).reverse();
    },
    async getMessage(id: string): Promise<Message | undefined> {
      const [row] = await rows(select(`id = ${p1}`), [id]);
      return row && toMessage(row);
    },
    async unfinishedReplies(): Promise<UnfinishedReply[]> {
      const found = await rows(
        select(`role = 'assistant' AND status IN ('pending', 'streaming')`),
        [],
      );
      return Promise.all(
        found.map(async (row) => {
          const [prompt] = row.reply_to ? await rows(select(`id = ${p1}`), [row.reply_to]) : [];
          return { reply: toMessage(row), prompt: prompt && toMessage(prompt) };
        }),
      );
    },
  };
}
