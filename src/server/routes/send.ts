import type { Message } from '../../core/schemas';
import { createReplyWriter, type ReplyWriter } from '../bus/createReplyWriter';
import type { MessageBus } from '../bus/messageBus';
import type { AppendResult, MessageStore } from '../store/messageStore';
import { type RouteGuard, refuse } from './gate';
import { fail, json, readBody } from './http';

/** A message to send through `MessageRoutes.sendMessage`: the fields of the POST body. */
export interface SendMessageInput {
  conversationId: string;
  /** The client's idempotency key (`createClientId()`): a retried send is stored once. */
  clientId: string;
  content: string;
  /** Only `'user'` is accepted from clients. @default 'user' */
  role?: 'user';
}

/** What `onMessage` gets for each new user message. */
export interface MessageTurn {
  message: Message;
  reply?: Message;
  writer?: ReplyWriter;
  request: Request;
}

/** What the send routes need from `createMessageRoutes`' options, with defaults filled in. */
export interface SendRoutesOptions {
  store: MessageStore;
  bus: MessageBus;
  guard: RouteGuard;
  reserveReply: boolean;
  maxBodyBytes: number;
  maxContentChars: number;
  onMessage: ((turn: MessageTurn) => unknown) | undefined;
  onError: (error: unknown) => void;
}

/** The send routes: the POST handler and its call for tRPC mutations and server actions. */
export interface SendRoutes {
  send(request: Request, conversationId: string): Promise<Response>;
  sendMessage(request: Request, input: SendMessageInput): Promise<AppendResult>;
}

/**
 * `POST …/messages` and `sendMessage`: a send after `authorize` is
 * validated, stored idempotently on clientId, published, and its reply
 * handed to `onMessage`.
 */
export function createSendRoutes(options: SendRoutesOptions): SendRoutes {
  const { store, bus, guard, reserveReply, maxBodyBytes, maxContentChars, onMessage, onError } =
    options;

  /** A send after `authorize`: validated, stored, published, and its reply started. */
  const storeSend = async (request: Request, input: SendMessageInput): Promise<AppendResult> => {
    const { conversationId, clientId, role, content } = input;
    if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 255) {
      throw refuse(
        400,
        'INVALID_CLIENT_ID',
        'clientId must be a string of 1 to 255 characters, unique per message (createClientId() from seqline), so a retried send is stored once',
      );
    }
    if (role !== undefined && role !== 'user') {
      throw refuse(
        422,
        'ROLE_NOT_ALLOWED',
        `clients may only send role "user"; ${JSON.stringify(role)} messages are written by the server`,
      );
    }
    if (typeof content !== 'string' || content.trim().length === 0) {
      throw refuse(400, 'INVALID_CONTENT', 'content must be a non-empty string');
    }
    if (content.length > maxContentChars) {
      throw refuse(
        413,
        'CONTENT_TOO_LONG',
        `content is ${content.length} characters; the limit is ${maxContentChars}`,
      );
    }
    const turn = await store.append({
      conversationId,
      clientId,
      role: 'user',
      content,
      reply: reserveReply,
    });
    if (turn.created) {
      // After the commit, so a stream catching up from the store never sees an event before its row.
      await bus.publish(conversationId, { type: 'message', message: turn.message });
      if (turn.reply) await bus.publish(conversationId, { type: 'message', message: turn.reply });
      if (onMessage) {
        const { message, reply } = turn;
        const writer =
          reply && createReplyWriter({ bus, message: reply, persist: store.updateReply, onError });
        void Promise.resolve()
          .then(() => onMessage({ message, ...(reply ? { reply, writer } : {}), request }))
          .catch(onError);
      }
    }
    return turn;
  };

  const send: SendRoutes['send'] = (request, conversationId) =>
    guard.guarded(async () => {
      await guard.gate(request, conversationId, 'write');
      if (!/^application\/json\b/i.test(request.headers.get('content-type') ?? '')) {
        return fail(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          'send the message as JSON (content-type: application/json)',
        );
      }
      const body = await readBody(request, maxBodyBytes);
      if ('response' in body) return body.response;
      let input: unknown;
      try {
        input = JSON.parse(body.text);
      } catch {
        return fail(400, 'INVALID_JSON', 'the body must be JSON: { clientId, content }');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        return fail(400, 'INVALID_BODY', 'the body must be a JSON object: { clientId, content }');
      }
      const turn = await storeSend(request, { ...(input as SendMessageInput), conversationId });
      return json(turn.created ? 201 : 200, {
        message: turn.message,
        ...(turn.reply ? { reply: turn.reply } : {}),
      });
    });

  const sendMessage: SendRoutes['sendMessage'] = async (request, input) => {
    try {
      if (typeof input !== 'object' || input === null) {
        throw refuse(
          400,
          'INVALID_BODY',
          'sendMessage takes { conversationId, clientId, content }',
        );
      }
      await guard.gate(request, input.conversationId, 'write');
      return await storeSend(request, input);
    } catch (error) {
      throw guard.asRouteError(error);
    }
  };

  return { send, sendMessage };
}
