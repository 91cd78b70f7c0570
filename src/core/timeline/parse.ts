import { ValidationError, type ValidationIssue } from '../errors';
import { type Message, messageSchema, parseWith } from '../schemas';
import type { TimelineValue } from './TimelineValue';

/** Validates a server message for this timeline; `path` locates it in the caller's input. */
export function parseServerMessage(
  base: TimelineValue,
  input: unknown,
  path: PropertyKey[],
): Message {
  const message = parseWith(messageSchema, input, (issues, cause) => {
    const located = issues.map((issue) => ({ ...issue, path: [...path, ...issue.path] }));
    return new ValidationError(path.length > 0 ? 'messages' : 'message', located, { cause });
  });
  checkConversation(
    base,
    message,
    path,
    (issues) => new ValidationError(path.length > 0 ? 'messages' : 'message', issues),
  );
  return message;
}

/** Throws `fail(…)` when `message` belongs to another conversation than the timeline. */
export function checkConversation(
  base: TimelineValue,
  message: Message,
  path: PropertyKey[],
  fail: (issues: ValidationIssue[]) => Error,
): void {
  if (message.conversationId === base.conversationId) return;
  throw fail([
    {
      path: [...path, 'conversationId'],
      message: `is "${message.conversationId}", but this timeline holds conversation "${base.conversationId}"`,
    },
  ]);
}
