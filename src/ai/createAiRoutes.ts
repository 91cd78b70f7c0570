import type { Message } from '../core/schemas';
import { createMemoryBus } from '../server/bus/memory';
import { BUS_START, isFinalEvent } from '../server/bus/messageBus';
import {
  createMessageRoutes,
  type MessageRoutes,
  type MessageRoutesOptions,
} from '../server/routes/createMessageRoutes';
import { createRouteGuard, decodeConversationId } from '../server/routes/gate';
import { fail, json, readBody } from '../server/routes/http';
import type { AiPart } from './parts';
import { STOPPED } from './parts';
import { type PipeResult, pipeToReply, type ReplySource } from './pipeToReply';

/** What {@link AiRoutesOptions.generate} gets for each new user message. */
export interface GenerateTurn {
  /** The user message, as stored. */
  message: Message;
  /** The reply being written (its sequence comes right after `message`'s). */
  reply: Message;
  /** The conversation up to and including `message`, oldest first (at most `historyLimit`). */
  history: Message[];
  /** Aborted when a client stops the reply (on any instance): pass it to `streamText({ abortSignal })`. */
  abortSignal: AbortSignal;
  request: Request;
}

/** Options of {@link createAiRoutes}: those of `createMessageRoutes`, with `generate` for `onMessage`. */
export interface AiRoutesOptions extends Omit<MessageRoutesOptions, 'onMessage' | 'reply'> {
  /**
   * Starts the model for a new user message: return `streamText(...)`'s
   * result (or a UI message stream or a text stream). Its output is piped
   * into the reply reserved with the message.
   */
  generate: (turn: GenerateTurn) => ReplySource | Promise<ReplySource>;
  /**
   * Messages of history loaded for `generate`.
   * @default 50
   */
  historyLimit?: number;
  /** The reply's `error` for a model error. @default the AI SDK's masked "An error occurred." */
  errorText?: (error: unknown) => string;
  /** Called when a reply ends, e.g. for logs or usage accounting. */
  onReplyEnd?: (reply: Message, result: PipeResult) => void;
}

/** `createMessageRoutes`' handlers plus the stop route. */
export interface AiRoutes extends MessageRoutes {
  /**
   * `POST …/conversations/:id/stop` `{ sequence }`: stops the reply at that
   * sequence. `202 { message }`, or `200` when it had already ended.
   */
  stop(request: Request, conversationId: string): Promise<Response>;
}

const STOP_ROUTE = /\/conversations\/([^/]+)\/stop\/?$/;

/**
 * seqline's routes for an AI SDK app: each new user message reserves its
 * reply, `generate` starts the model (`streamText`), and its stream is piped
 * into the reply (`pipeToReply`): text by offset, reasoning and tool parts
 * as `parts`, finish → complete, error → failed. A client's stop
 * (`POST …/stop`) is published on the bus as the reply's `failed`
 * `'stopped'` status; the instance running the model sees it and aborts the
 * model call, so it works across instances with every bus.
 *
 * @example
 * const routes = createAiRoutes({
 *   store, authorize,
 *   generate: ({ history, abortSignal }) =>
 *     streamText({ model, messages: toModelMessages(history), abortSignal }),
 * });
 */
export function createAiRoutes(options: AiRoutesOptions): AiRoutes {
  const { generate, store, authorize, historyLimit = 50, errorText, onReplyEnd } = options;
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  const bus = options.bus ?? createMemoryBus();
  const routes = createMessageRoutes({
    ...options,
    bus,
    reply: true,
    onMessage: async ({ message, reply, writer, request }) => {
      if (!reply || !writer) return;
      const controller = new AbortController();
      // The stop route publishes the reply's end; seeing it before the model is done means "stop".
      const unsubscribe = bus.subscribe(message.conversationId, BUS_START, {
        event: ({ event }) => {
          if (isFinalEvent(event) && messageIdOf(event) === reply.id) controller.abort(STOPPED);
        },
      });
      try {
        const history = await store.list(message.conversationId, {
          before: reply.sequence!,
          limit: historyLimit,
        });
        const source = await generate({
          message,
          reply,
          history,
          abortSignal: controller.signal,
          request,
        });
        const result = await pipeToReply(source, writer, {
          signal: controller.signal,
          ...(errorText ? { errorText } : {}),
          publishParts: async (parts: AiPart[]) => {
            await bus.publish(message.conversationId, {
              type: 'message',
              message: { ...reply, content: writer.content, status: 'streaming', parts },
            });
          },
        });
        onReplyEnd?.(reply, result);
      } catch (error) {
        // `generate` threw (or the store did): the reply must not stay open.
        await writer.fail('the reply could not be generated').catch(onError);
        throw error;
      } finally {
        unsubscribe();
      }
    },
  });

  const guard = createRouteGuard(authorize, onError);
  const stop: AiRoutes['stop'] = (request, conversationId) =>
    guard.guarded(async () => {
      await guard.gate(request, conversationId, 'write');
      const body = await readBody(request, 1024);
      if ('response' in body) return body.response;
      let sequence: unknown;
      try {
        sequence = (JSON.parse(body.text) as { sequence?: unknown }).sequence;
      } catch {
        return fail(400, 'INVALID_JSON', 'the body must be JSON: { sequence }');
      }
      if (!Number.isSafeInteger(sequence) || (sequence as number) < 1) {
        return fail(400, 'INVALID_BODY', "sequence must be the reply's sequence, an integer ≥ 1");
      }
      const at = sequence as number;
      const [found] = await store.list(conversationId, { after: at - 1, limit: 1 });
      if (!found || found.sequence !== at || found.role !== 'assistant') {
        return fail(404, 'NOT_FOUND', `no assistant reply at sequence ${at} in this conversation`);
      }
      if (found.status === 'complete' || found.status === 'failed') {
        return json(200, { message: found });
      }
      await bus.publish(conversationId, {
        type: 'status',
        messageId: found.id,
        status: 'failed',
        error: STOPPED,
      });
      return json(202, { message: { ...found, status: 'failed', error: STOPPED } });
    });

  return {
    ...routes,
    bus,
    stop,
    async handle(request) {
      const match = STOP_ROUTE.exec(new URL(request.url).pathname);
      if (!match) return routes.handle(request);
      if (request.method !== 'POST') {
        return fail(405, 'METHOD_NOT_ALLOWED', 'use POST', { allow: 'POST' });
      }
      const conversationId = decodeConversationId(match[1]!);
      if (conversationId instanceof Response) return conversationId;
      return stop(request, conversationId);
    },
  };
}

// ---------------------------------------------------------------------------

function messageIdOf(event: {
  type: string;
  messageId?: string;
  message?: Message;
}): string | undefined {
  return event.type === 'message' ? event.message?.id : event.messageId;
}
