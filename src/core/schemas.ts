import * as z from 'zod/mini';
import { StreamEventError, ValidationError, type ValidationIssue } from './errors';
import { parseTimestamp } from './timestamp';

/** Who wrote a message. */
export const messageRoleSchema = z.enum(['user', 'assistant', 'system', 'tool'], {
  error: 'must be one of user, assistant, system, tool',
});

/**
 * Where a message is in its life: `pending` (sent or reserved, no content
 * yet), `streaming` (content arriving), `complete`, or `failed`.
 */
export const messageStatusSchema = z.enum(['pending', 'streaming', 'complete', 'failed'], {
  error: 'must be one of pending, streaming, complete, failed',
});

const TIMESTAMP =
  'must be an ISO 8601 timestamp with a time zone, e.g. "2026-01-01T00:00:00.123456Z"';

/**
 * An ISO 8601 timestamp with a time zone, kept as the string it arrived as,
 * so microseconds from PostgreSQL survive (a JS `Date` would cut them).
 */
export const timestampSchema = z
  .string({ error: TIMESTAMP })
  .check(z.refine((value) => parseTimestamp(value) !== undefined, TIMESTAMP));

/** A positive integer assigned by the server's `SequenceAllocator`. */
export const sequenceSchema = z
  .number({ error: 'must be a number (the server-assigned sequence) or null' })
  .check(
    z.int('must be an integer'),
    z.positive('must be 1 or more'),
    z.maximum(Number.MAX_SAFE_INTEGER, 'must be a safe integer'),
  );

const nonEmpty = (what: string) =>
  z
    .string({ error: `must be a string (${what})` })
    .check(z.minLength(1, `must not be empty (${what})`));

/** `schema`, or null read as undefined. */
const orAbsent = (schema: z.ZodMiniType<string, unknown>) =>
  z.pipe(
    z.nullable(schema),
    z.transform((value: string | null) => value ?? undefined),
  );

/** At most 64 levels of objects; recursion stops there, so neither depth nor a cycle can overflow the stack. */
const shallow = (value: unknown, depth: number): boolean =>
  value === null ||
  typeof value !== 'object' ||
  (depth < 64 && Object.values(value).every((child) => shallow(child, depth + 1)));

/**
 * A chat message as the server stores it. Fields seqline does not know
 * (attachments, metadata, …) are kept as they are.
 */
export const messageSchema = z
  .looseObject(
    {
      id: nonEmpty('the server id; convert numeric ids with String(id)'),
      conversationId: nonEmpty('the conversation this message belongs to'),
      sequence: z.nullable(sequenceSchema),
      createdAt: timestampSchema,
      // null as well as absent (SQL rows carry NULL for messages no client sent), read as absent.
      clientId: z.optional(orAbsent(nonEmpty('the id the client generated when sending'))),
      role: messageRoleSchema,
      content: z.string({ error: 'must be a string' }),
      status: messageStatusSchema,
      error: z.optional(orAbsent(z.string({ error: 'must be a string (why the message failed)' }))),
    },
    { error: 'must be an object (a message)' },
  )
  // JSON.stringify of a 5,000-deep extra field throws a RangeError: refuse it here, typed.
  .check(z.refine((message) => shallow(message, 0), 'must nest at most 64 levels deep'));

/** Upsert a full message snapshot. */
export const messageEventSchema = z.object({
  type: z.literal('message'),
  message: messageSchema,
});

/**
 * Append `text` at character `offset` of a message's content. Idempotent:
 * text the message already has is skipped; a delta ahead of the content waits.
 */
export const deltaEventSchema = z.object({
  type: z.literal('delta'),
  messageId: nonEmpty('the id of the message being streamed'),
  offset: z
    .number({ error: 'must be a number (the character offset the text starts at)' })
    .check(z.int('must be an integer'), z.nonnegative('must be 0 or more')),
  text: z.string({ error: 'must be a string' }),
});

/** A message finished streaming, or failed. */
export const statusEventSchema = z.object({
  type: z.literal('status'),
  messageId: nonEmpty('the id of the message whose status changed'),
  status: z.enum(['complete', 'failed'], { error: 'must be complete or failed' }),
  error: z.optional(z.string({ error: 'must be a string (why the message failed)' })),
});

/** Every event the stream may carry, discriminated on `type`. */
export const streamEventSchema = z.discriminatedUnion(
  'type',
  [messageEventSchema, deltaEventSchema, statusEventSchema],
  { error: 'must be an event object with type "message", "delta" or "status"' },
);

/**
 * What `addOptimistic` accepts: the message being sent. Extra fields are kept.
 * @internal
 */
export const draftSchema = z.looseObject(
  {
    clientId: nonEmpty('see createClientId()'),
    content: z.string({ error: 'must be a string' }),
    role: z.optional(messageRoleSchema),
    createdAt: z.optional(timestampSchema),
  },
  { error: 'must be an object (the message being sent)' },
);

export type MessageRole = z.infer<typeof messageRoleSchema>;
export type MessageStatus = z.infer<typeof messageStatusSchema>;
export type Message = z.infer<typeof messageSchema>;
export type MessageEvent = z.infer<typeof messageEventSchema>;
export type DeltaEvent = z.infer<typeof deltaEventSchema>;
export type StatusEvent = z.infer<typeof statusEventSchema>;
export type StreamEvent = z.infer<typeof streamEventSchema>;

/**
 * Validates a message. Throws a `ValidationError` whose `issues` name each
 * bad field and why.
 *
 * @example
 * const message = parseMessage(await response.json());
 */
export function parseMessage(input: unknown): Message {
  return parseWith(
    messageSchema,
    input,
    (issues, cause) => new ValidationError('message', issues, { cause }),
  );
}

/**
 * Validates a stream event (`message`, `delta` or `status`). Throws a
 * `StreamEventError` whose `issues` name each bad field and why.
 *
 * @example
 * source.onmessage = (e) => apply(parseStreamEvent(JSON.parse(e.data)));
 */
export function parseStreamEvent(input: unknown): StreamEvent {
  return parseWith(
    streamEventSchema,
    input,
    (issues, cause) => new StreamEventError('stream event', issues, { cause }),
  );
}

// ---------------------------------------------------------------------------

/** @internal */
export function parseWith<T>(
  schema: z.ZodMiniType<T>,
  input: unknown,
  fail: (issues: ValidationIssue[], cause: unknown) => Error,
): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw fail(
    result.error.issues.map((issue) => ({ path: issue.path, message: issue.message })),
    result.error,
  );
}
