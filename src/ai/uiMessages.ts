import type { ModelMessage, UIMessage } from 'ai';
import type { Message } from '../core/schemas';
import type { AiPart } from './parts';

/** What a seqline message keeps in a `UIMessage`'s `metadata`. */
export interface SeqlineMetadata {
  sequence: number | null;
  conversationId: string;
  createdAt: string;
  status: Message['status'];
  clientId?: string;
  error?: string;
}

/** A `UIMessage` made from a seqline message: its metadata is {@link SeqlineMetadata}. */
export type SeqlineUIMessage = UIMessage<SeqlineMetadata>;

/**
 * A seqline message as an AI SDK `UIMessage`: the `parts` it carries
 * (reasoning, tool calls) first, then its content as one text part
 * (`state: 'streaming'` while it streams). Order and status go into
 * `metadata`. `system` and `tool` messages become `system` and `assistant`.
 *
 * @example
 * const { messages } = useChat({ id, transport, messages: history.map(toUIMessage) });
 */
export function toUIMessage(message: Message): SeqlineUIMessage {
  const open = message.status === 'pending' || message.status === 'streaming';
  const extra = Array.isArray(message.parts) ? (message.parts as AiPart[]) : [];
  const parts: SeqlineUIMessage['parts'] = [...(extra as SeqlineUIMessage['parts'])];
  if (message.content !== '' || !open) {
    parts.push({ type: 'text', text: message.content, state: open ? 'streaming' : 'done' });
  }
  return {
    id: message.id,
    role: message.role === 'tool' ? 'assistant' : message.role,
    parts,
    metadata: {
      sequence: message.sequence,
      conversationId: message.conversationId,
      createdAt: message.createdAt,
      status: message.status,
      ...(message.clientId ? { clientId: message.clientId } : {}),
      ...(message.error ? { error: message.error } : {}),
    },
  };
}

/** Options of {@link fromUIMessages}. */
export interface FromUIMessagesOptions {
  /** The conversation (`useChat`'s `id`). */
  conversationId: string;
  /**
   * Whether the last assistant message is still streaming (`useChat`'s
   * `status === 'streaming'`).
   * @default false
   */
  streaming?: boolean;
}

/**
 * An AI SDK conversation (`useChat`'s `messages`) as seqline messages, to
 * render it with `OrderedMessageList`: text parts joined into `content`, the
 * other parts kept in `parts`. A message that came from seqline keeps its
 * sequence, time and status (from `metadata`); any other takes its array
 * position as its sequence, so the list keeps the AI SDK's order.
 *
 * @example
 * const ordered = useMemo(() => fromUIMessages(messages, { conversationId: id }), [messages]);
 */
export function fromUIMessages(
  messages: readonly UIMessage[],
  options: FromUIMessagesOptions,
): Message[] {
  const last = messages.length - 1;
  return messages.map((ui, index) => {
    const meta = isSeqlineMetadata(ui.metadata) ? ui.metadata : undefined;
    let content = '';
    const parts: unknown[] = [];
    for (const part of ui.parts) {
      if (part.type === 'text') content += part.text;
      else parts.push(part);
    }
    const streaming = options.streaming === true && index === last && ui.role === 'assistant';
    const message: Message = {
      id: ui.id,
      conversationId: meta?.conversationId ?? options.conversationId,
      sequence: meta?.sequence ?? index + 1,
      createdAt: meta?.createdAt ?? EPOCH,
      role: ui.role,
      content,
      status: streaming ? 'streaming' : (meta?.status ?? 'complete'),
      ...(meta?.clientId ? { clientId: meta.clientId } : {}),
      ...(meta?.error ? { error: meta.error } : {}),
      ...(parts.length > 0 ? { parts } : {}),
    };
    return message;
  });
}

/**
 * A conversation's history as the model's messages, for
 * `streamText({ messages })`: user, assistant and system text; empty
 * messages (a reply that failed before its first token) and `tool`
 * messages are left out.
 *
 * @example
 * generate: ({ history, abortSignal }) =>
 *   streamText({ model, messages: toModelMessages(history), abortSignal }),
 */
export function toModelMessages(history: readonly Message[]): ModelMessage[] {
  const out: ModelMessage[] = [];
  for (const { role, content } of history) {
    if (content === '' || role === 'tool') continue;
    out.push({ role, content });
  }
  return out;
}

// ---------------------------------------------------------------------------

/** The time of a message that never had one (display only; the order is the sequence). */
const EPOCH = '1970-01-01T00:00:00.000Z';

function isSeqlineMetadata(value: unknown): value is SeqlineMetadata {
  return (
    typeof value === 'object' &&
    value !== null &&
    'conversationId' in value &&
    'sequence' in value &&
    'createdAt' in value
  );
}
