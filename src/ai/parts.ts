import type { UIMessageChunk } from 'ai';

/**
 * A part of an AI SDK reply that is not its text, as a seqline message
 * carries it in its `parts` field: the AI SDK's own `UIMessage` part shape,
 * so it renders with the same components. The text stays in `content`
 * (streamed by offset); only finished parts are carried.
 */
export type AiPart =
  | { type: 'reasoning'; text: string; state: 'done' }
  | {
      type: `tool-${string}`;
      toolCallId: string;
      state: 'input-available' | 'output-available' | 'output-error';
      input: unknown;
      output?: unknown;
      errorText?: string;
    };

/** What a reply stopped by its client fails with (the message's `error`). */
export const STOPPED = 'stopped';

/**
 * Folds the non-text chunks of an AI SDK UI message stream into {@link AiPart}s.
 * `take` returns true when `parts` changed (a part finished), so the caller
 * publishes them.
 */
export function createPartsCollector() {
  const parts: AiPart[] = [];
  const reasoning = new Map<string, string>();
  const toolIndex = (toolCallId: string) =>
    parts.findIndex((part) => 'toolCallId' in part && part.toolCallId === toolCallId);
  return {
    parts,
    take(chunk: UIMessageChunk): boolean {
      switch (chunk.type) {
        case 'reasoning-start':
          reasoning.set(chunk.id, '');
          return false;
        case 'reasoning-delta':
          reasoning.set(chunk.id, (reasoning.get(chunk.id) ?? '') + chunk.delta);
          return false;
        case 'reasoning-end': {
          const text = reasoning.get(chunk.id) ?? '';
          reasoning.delete(chunk.id);
          parts.push({ type: 'reasoning', text, state: 'done' });
          return true;
        }
        case 'tool-input-available': {
          const part: AiPart = {
            type: `tool-${chunk.toolName}`,
            toolCallId: chunk.toolCallId,
            state: 'input-available',
            input: chunk.input,
          };
          const at = toolIndex(chunk.toolCallId);
          if (at === -1) parts.push(part);
          else parts[at] = part;
          return true;
        }
        case 'tool-output-available':
        case 'tool-output-error': {
          const at = toolIndex(chunk.toolCallId);
          const before = parts[at];
          if (!before || before.type === 'reasoning') return false;
          parts[at] =
            chunk.type === 'tool-output-available'
              ? { ...before, state: 'output-available', output: chunk.output }
              : { ...before, state: 'output-error', errorText: chunk.errorText };
          return true;
        }
        default:
          return false;
      }
    },
  };
}
