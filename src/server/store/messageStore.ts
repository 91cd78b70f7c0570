import { CodedSeqlineError } from '../../core/errors';
import { type Message, type MessageRole, messageRoleSchema } from '../../core/schemas';
import type { ReplyUpdate } from '../bus/createReplyWriter';
import { type HistoryQuery, isHistoryValue, MAX_HISTORY_LIMIT } from '../historyQuery';

/** A message to store. */
export interface AppendInput {
  conversationId: string;
  /**
   * The client's idempotency key: a second append with the same
   * `(conversationId, clientId)` stores nothing and returns what the first
   * stored. Absent or null: every append stores a new message.
   */
  clientId?: string | null;
  /** @default 'user' */
  role?: MessageRole;
  content: string;
  /**
   * Reserve an empty `pending` assistant reply right after the message, with
   * the next sequence, in the same transaction (`nextRange(conversationId, 2)`),
   * so the reply can never sort before its prompt.
   * @default false
   */
  reply?: boolean;
  /**
   * The server's clock, never the client's.
   * @default new Date().toISOString()
   */
  createdAt?: string;
}

/** What `append` stored, or found already stored for the same clientId. */
export interface AppendResult {
  message: Message;
  /** The reserved reply placeholder, when `reply` was asked for. */
  reply?: Message;
  /** `false` when the clientId was stored before: nothing new was written. */
  created: boolean;
}

/**
 * A page of history, as `GET …/messages` asks for it (`parseHistoryQuery`),
 * with its `limit` decided. With `after`: the messages above it, ascending;
 * with `before`: the `limit` messages just below it, ascending; with
 * neither: the latest `limit`, ascending.
 */
export type HistoryPageQuery = Omit<HistoryQuery, 'limit'> & { limit: number };

/**
 * Where a conversation's messages live. Every method is one short
 * transaction or query; sequences come from a `SequenceAllocator` (the SQL
 * stores use the counter table in the same transaction).
 */
export interface MessageStore {
  /** Stores a message (and its reply placeholder), idempotent on clientId. */
  append(input: AppendInput): Promise<AppendResult>;
  /** A page of history (see `HistoryQuery`). */
  list(conversationId: string, query: HistoryPageQuery): Promise<Message[]>;
  /** One message by its id, if this conversation has it. */
  get(conversationId: string, messageId: string): Promise<Message | undefined>;
  /**
   * Writes a reply's content and status: the `persist` of `createReplyWriter`.
   * Content never shrinks and a final status is never left: a late or
   * repeated write changes nothing.
   */
  updateReply(update: ReplyUpdate): Promise<void>;
  /** Replies still `pending` or `streaming` (e.g. left by a process that stopped), oldest first. */
  unfinished(options?: { limit?: number }): Promise<Message[]>;
}

/** What went wrong in a message store. */
export type MessageStoreErrorCode =
  /** The input is not a valid message (conversation id, role, content, clientId). */
  | 'INVALID_INPUT'
  /** The clientId was already used for a different message. */
  | 'CLIENT_ID_CONFLICT'
  /** The store was built with bad options (a table name, a missing client). */
  | 'INVALID_CONFIG'
  /** The database failed; see `cause`. */
  | 'BACKEND';

/**
 * Thrown by message stores. `code` says which kind of failure it is; `cause`
 * keeps the driver's error.
 */
export class MessageStoreError extends CodedSeqlineError<MessageStoreErrorCode> {
  override name = 'MessageStoreError';
}

/** An `AppendInput` checked and with its defaults filled in. */
export interface ValidAppend {
  conversationId: string;
  clientId: string | null;
  role: MessageRole;
  content: string;
  reply: boolean;
  createdAt: string;
}

/**
 * Checks an append before any I/O: every store calls it, so they refuse the
 * same inputs with the same `MessageStoreError('INVALID_INPUT')`.
 */
export function validateAppend(input: AppendInput): ValidAppend {
  const bad = (message: string) =>
    new MessageStoreError('INVALID_INPUT', `[seqline] [store] ${message}`);
  if (typeof input !== 'object' || input === null) throw bad('append() takes a message object');
  const { conversationId, clientId = null, role = 'user', content, reply = false } = input;
  if (
    typeof conversationId !== 'string' ||
    conversationId.length === 0 ||
    conversationId.includes('\0')
  )
    throw bad('conversationId must be a non-empty string without NUL characters');
  if (
    clientId !== null &&
    (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 255)
  )
    throw bad('clientId must be a string of 1 to 255 characters, or absent');
  if (!messageRoleSchema.safeParse(role).success)
    throw bad('role must be user, assistant, system or tool');
  if (typeof content !== 'string') throw bad('content must be a string');
  if (typeof reply !== 'boolean') throw bad('reply must be true or false');
  const createdAt = input.createdAt ?? new Date().toISOString();
  return { conversationId, clientId, role, content, reply, createdAt };
}

/**
 * Checks a history query before any I/O, by the same rules as
 * `parseHistoryQuery` (`isHistoryValue`): `limit` 1..MAX_HISTORY_LIMIT,
 * `after` 0 or more, `before` 1 or more, not both.
 */
export function validateHistoryQuery(query: HistoryPageQuery): HistoryPageQuery {
  const bad = (message: string) =>
    new MessageStoreError('INVALID_INPUT', `[seqline] [store] ${message}`);
  const { after, before, limit } = query ?? ({} as HistoryPageQuery);
  if (!isHistoryValue('limit', limit) || limit > MAX_HISTORY_LIMIT)
    throw bad(`limit must be an integer from 1 to ${MAX_HISTORY_LIMIT}`);
  if (after !== undefined && !isHistoryValue('after', after))
    throw bad('after must be a sequence: an integer of 0 or more');
  if (before !== undefined && !isHistoryValue('before', before))
    throw bad('before must be a sequence: an integer of 1 or more');
  if (after !== undefined && before !== undefined) throw bad('give after or before, not both');
  return query;
}

/** True when a stored message answers the same append (same role and content). */
export function sameMessage(stored: Message, input: ValidAppend): boolean {
  return stored.role === input.role && stored.content === input.content;
}

/** The `CLIENT_ID_CONFLICT` error for a clientId reused with other content. */
export function clientIdConflict(input: ValidAppend): MessageStoreError {
  return new MessageStoreError(
    'CLIENT_ID_CONFLICT',
    `[seqline] [store] clientId "${input.clientId}" was already used for a different message in "${input.conversationId}"; generate a new clientId for new content`,
  );
}

/**
 * The rows an append writes, given the sequences it reserved: the message
 * (`first`) and, when asked for, the empty pending reply (`last`).
 */
export function turnMessages(
  input: ValidAppend,
  { first, last }: { first: number; last: number },
  createId: () => string,
): { message: Message; reply?: Message } {
  const message: Message = {
    id: createId(),
    conversationId: input.conversationId,
    sequence: first,
    createdAt: input.createdAt,
    ...(input.clientId === null ? {} : { clientId: input.clientId }),
    role: input.role,
    content: input.content,
    status: 'complete',
  };
  if (!input.reply) return { message };
  const reply: Message = {
    id: createId(),
    conversationId: input.conversationId,
    sequence: last,
    createdAt: input.createdAt,
    role: 'assistant',
    content: '',
    status: 'pending',
  };
  return { message, reply };
}
