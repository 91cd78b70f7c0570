import { fnv1a } from '../core/hash';
import type { Message } from '../core/schemas';
import { between, createRandom, type Random } from './random';

/**
 * Readable, varied sentences (short and long, a list-like one, numbers,
 * quotes, an em dash), so a reply in Storybook or a test looks like prose a
 * designer can judge typography with, not word salad.
 */
// 17, a prime: any step visits 3 different sentences.
const SENTENCES = [
  'Sure.',
  'Good question.',
  'Here is what I found.',
  'Every message gets a number from the server, so the order never depends on whose clock is right.',
  'Your message is #12 and this reply is #13: the two numbers were reserved together.',
  'If the connection drops, the stream picks up where it left off — nothing is shown twice.',
  'Refresh the page and you will see the same conversation, in the same order.',
  'Three things matter here: the sequence, the client id, and the stream cursor.',
  'The short answer is yes.',
  'A message sent from another device slots in where the server put it, even if it arrives late.',
  'Two messages written in the same millisecond still get two different numbers.',
  '“Pending” means the server has not confirmed it yet; it turns into a number once it has.',
  'Let me check that for you.',
  'That took about 40 ms on the server, most of it waiting for the database.',
  'Nothing is lost if you retry: the server recognises the same message and stores it once.',
  'Does that help?',
  'Happy to walk through it step by step.',
];

/** Same conversation, sequence and content, same reply: for a seed, runs repeat exactly. */
export function defaultReply(seed: number, conversationId: string, message: Message): string {
  const random: Random = createRandom(
    fnv1a(`${seed}\0${conversationId}\0${message.sequence}\0${message.content}`),
  );
  const count = between(random, 1, 3);
  const first = between(random, 0, SENTENCES.length - 1);
  const step = between(random, 1, SENTENCES.length - 1);
  return Array.from(
    { length: count },
    (_, i) => SENTENCES[(first + i * step) % SENTENCES.length]!,
  ).join(' ');
}
