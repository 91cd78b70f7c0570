import type { ChaosOptions } from 'seqline/msw';
import { ChatDemo } from './ChatDemo';

/** The races a chat UI meets in production, each one a switch. */
export interface RaceControls {
  /**
   * Slowest response in milliseconds: each request waits a random 0…latency ms,
   * so sends, history loads and the stream overtake each other. 0 turns it off.
   * @default 0
   */
  latency: number;
  /**
   * The live stream delivers your message before the POST that sent it
   * returns. The list must merge the two, not show the message twice.
   * @default false
   */
  echoBeforeResponse: boolean;
  /**
   * Stream events arrive twice (30% of them).
   * @default false
   */
  duplicates: boolean;
  /**
   * The server hangs up the stream mid-reply (10% chance per event). The
   * client reconnects and resumes from the last event it got (Last-Event-ID).
   * @default false
   */
  drops: boolean;
  /**
   * A history refetch answers with an older snapshot (half the time):
   * shorter replies, missing messages. The list must never go backwards.
   * Press "Refetch history" or "Refresh" to make one.
   * @default false
   */
  staleHistory: boolean;
  /**
   * Stream events arrive out of order (up to two places early).
   * @default false
   */
  reorder: boolean;
  /**
   * Seed of the random draws: the same seed and the same clicks replay the same chaos.
   * Changing it starts a new, empty server.
   * @default 1
   */
  seed: number;
}

/**
 * A chat whose mock server misbehaves as the controls say. The panel on the
 * right is the server's truth, in sequence order; the list must end up
 * showing exactly that, whatever you switch on. **Send 5 at once** makes the
 * sends race each other; **Refresh** remounts the chat with a fresh
 * `QueryClient` (like reloading the page) to show the order surviving it.
 */
export function RaceChat({ seed, latency, ...races }: RaceControls) {
  const chaos: ChaosOptions = { ...races, latency: [0, latency] };
  return (
    <ChatDemo
      key={seed}
      server={{
        name: 'race',
        seed,
        history: [
          { role: 'user', content: 'Is the order safe under chaos?' },
          { role: 'assistant', content: 'Switch the races on and see.' },
        ],
      }}
      chaos={chaos}
      showServer
      refreshable
      burst={5}
    />
  );
}
