import type { Message } from 'seqline';
import {
  createReplyWriter,
  type MessageBus,
  type MessageStore,
  type ReplyWriter,
} from 'seqline/server';
import type { ReplyLease } from './replyLease';

/**
 * The scripted assistant: no model, a deterministic text generator. The
 * same reply id and prompt always give the same text and the same token
 * pacing, so a reply interrupted by a restart is resumed from the offset
 * stored in the database, and the result is the text it would have had.
 */
export function replyText(reply: Pick<Message, 'id' | 'sequence'>, prompt: string): string {
  const random = seeded(`${reply.id}\n${prompt}`);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const quoted = prompt.length > 60 ? `${prompt.slice(0, 57).trimEnd()}…` : prompt;
  const n = reply.sequence ?? 0;
  const sentences = [
    `${pick(OPENERS)} “${quoted}”.`,
    `This reply holds sequence #${n}, reserved together with your message (#${n - 1}) by nextRange(conversation, 2) in one transaction, so it can never sort above it.`,
    pick(MIDDLES),
    pick(CLOSERS),
  ];
  return sentences.join(' ');
}

/** The reply cut into tokens of one to three words, each with the delay before it (ms). */
export function replyTokens(
  reply: Pick<Message, 'id' | 'sequence'>,
  prompt: string,
  tokenDelayMs: number,
): { text: string; delay: number }[] {
  const text = replyText(reply, prompt);
  const random = seeded(`${reply.id}\npacing`);
  const words = text.match(/\S+\s*/g) ?? [];
  const tokens: { text: string; delay: number }[] = [];
  for (let i = 0; i < words.length; ) {
    const take = 1 + Math.floor(random() * 3);
    // Jitter like a real model: mostly steady, now and then a longer think.
    const factor = random() < 0.08 ? 4 : 0.5 + random();
    tokens.push({
      text: words.slice(i, i + take).join(''),
      delay: Math.round(tokenDelayMs * factor),
    });
    i += take;
  }
  return tokens;
}

/** Options of {@link createAssistant}. */
export interface AssistantOptions {
  store: MessageStore;
  bus: MessageBus;
  /** Average milliseconds between tokens. @default 45 */
  tokenDelayMs?: number;
  /**
   * Several instances on one database: a reply is streamed only by the
   * instance that claims it here (see ./replyLease.ts).
   * @default none: this process is the only one
   */
  lease?: ReplyLease;
}

/** How {@link Assistant.run} streams a reply. */
export interface RunOptions {
  /** The prompt it answers. @default the message just before the reply (they are reserved together) */
  prompt?: Message;
  /** The writer `createMessageRoutes` made for a new reply. @default a new one on the bus and the store */
  writer?: ReplyWriter;
  /**
   * Set when the reply was found unfinished in the database (left by a
   * restart, or by an instance that stopped): `resume` streams it on from
   * its stored offset, `fail` marks it failed. Logged when claimed.
   */
  takeover?: 'resume' | 'fail';
}

/** Streams scripted replies, resumes them after a restart, and stops them on shutdown. */
export interface Assistant {
  /**
   * Streams `reply` (possibly partly stored already) to completion. Resolves
   * when it ends or stops, or at once when another instance holds it.
   */
  run(reply: Message, options?: RunOptions): Promise<void>;
  /** Whether this process is streaming (or claiming) `replyId` now. */
  has(replyId: string): boolean;
  /** Replies being streamed now. */
  readonly active: number;
  /**
   * Stops every reply where it is, with its content so far stored (still
   * `streaming`, to resume on the next start or on another instance), then
   * releases its claim.
   */
  stop(): Promise<void>;
}

export function createAssistant(options: AssistantOptions): Assistant {
  const { store, bus, lease } = options;
  const tokenDelayMs = options.tokenDelayMs ?? 45;
  const running = new Map<string, Promise<void>>();
  let stopping = false;

  /** Streams to the end; `false` when it stopped early (a shutdown). */
  const stream = async (
    writer: ReplyWriter,
    reply: Message,
    prompt: Message | undefined,
  ): Promise<boolean> => {
    if (!prompt) {
      await writer.fail('The message this reply answers is missing.');
      return true;
    }
    const tokens = replyTokens(reply, prompt.content, tokenDelayMs);
    const text = tokens.map((token) => token.text).join('');
    if (!text.startsWith(reply.content)) {
      // Stored content the generator would not have written: never append after it.
      await writer.fail('The stored reply does not match the generator; it cannot be resumed.');
      return true;
    }
    await writer.start();
    let at = 0;
    for (const token of tokens) {
      const end = at + token.text.length;
      if (end > writer.content.length) {
        await sleep(token.delay);
        if (stopping) return false;
        // Resuming mid-token: append only what the stored content does not have yet.
        await writer.append(text.slice(writer.content.length, end));
      }
      at = end;
    }
    await writer.complete();
    return true;
  };

  const claimed = async (reply: Message, run: RunOptions): Promise<void> => {
    let current = reply;
    if (lease) {
      // What the caller read may be stale: the previous holder may have finished it, or got further.
      const fresh = await store.get(reply.conversationId, reply.id);
      if (!fresh || (fresh.status !== 'pending' && fresh.status !== 'streaming')) return;
      current = fresh;
    }
    const prompt = run.prompt ?? (await promptOf(store, current));
    if (run.takeover && lease) {
      console.log(
        `[chat] took over reply ${current.id} (#${current.sequence}) at ${current.content.length} stored characters: ${run.takeover === 'fail' ? 'marked failed' : 'resuming'}`,
      );
    }
    // The routes' writer starts from the reply as the POST stored it: not if another instance got further.
    const writer =
      (current.content === reply.content && run.writer) ||
      createReplyWriter({
        bus,
        message: current,
        persist: store.updateReply,
        onError: (error) => console.error('[chat] publish failed:', (error as Error).message),
      });
    if (run.takeover === 'fail') {
      await writer.fail('Interrupted by a server restart.');
      return;
    }
    let finished = false;
    try {
      finished = await stream(writer, current, prompt);
    } catch (error) {
      if (stopping) return;
      console.error(`[chat] reply ${current.id} failed:`, error);
      await writer.fail('The assistant failed; send the message again.').catch(() => {});
      finished = true;
    } finally {
      if (!finished && stopping) {
        // Store exactly what was streamed, before the claim is released, so whoever resumes starts here.
        await store
          .updateReply({
            messageId: current.id,
            conversationId: current.conversationId,
            content: writer.content,
            status: 'streaming',
          })
          .catch(() => {});
      }
    }
  };

  return {
    run(reply, options = {}) {
      const found = running.get(reply.id);
      if (found) return found;
      if (stopping) return Promise.resolve();
      const done = (async () => {
        if (lease && !(await lease.claim(reply.id))) return;
        try {
          await claimed(reply, options);
        } finally {
          await lease?.release(reply.id).catch(() => {});
        }
      })()
        .catch((error) => console.error(`[chat] reply ${reply.id}:`, error))
        .finally(() => running.delete(reply.id));
      running.set(reply.id, done);
      return done;
    },
    has(replyId) {
      return running.has(replyId);
    },
    get active() {
      return running.size;
    },
    async stop() {
      stopping = true;
      await Promise.all(running.values());
    },
  };
}

// ---------------------------------------------------------------------------

/** The prompt of a reply: the user message reserved with it, one sequence before. */
async function promptOf(store: MessageStore, reply: Message): Promise<Message | undefined> {
  const [before] = await store.list(reply.conversationId, { before: reply.sequence!, limit: 1 });
  return before?.sequence === reply.sequence! - 1 && before.role === 'user' ? before : undefined;
}

const OPENERS = [
  'You wrote',
  'Noted:',
  'Got it, you said',
  'Thanks for the message',
  'Here is my scripted answer to',
] as const;
const MIDDLES = [
  'Timestamps can collide at the millisecond, and the POST and the stream race each other, but a server-assigned sequence gives one order that every tab and every refresh agrees on.',
  'Tokens arrive as deltas with a character offset, so a delta that arrives twice, or again after a reconnect, is applied once.',
  'If the stream drops, the page reconnects with Last-Event-ID and the server catches it up from the database before going live again.',
  'Optimistic messages wait below the last confirmed one and keep their row when the server confirms them, so nothing jumps.',
] as const;
const CLOSERS = [
  'Reload the page: the order will be exactly the same.',
  'Try the chaos toggle and send ten more: the order still holds.',
  'Open a second tab and send from both: both tabs converge.',
  'Every message here is stored once, in sequence order.',
] as const;

/** A small deterministic PRNG (mulberry32) seeded from a string hash. */
function seeded(seed: string): () => number {
  let state = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) state = Math.imul(state ^ seed.charCodeAt(i), 0x01000193);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
