/**
 * Send order's cost: the time from the first `send()` to the last
 * confirmation for 10 and 50 rapid sends, against the shipped msw mock with a
 * fixed 20 ms and 100 ms latency per request (and a 0–100 ms spread), in one run:
 *
 * - sequential: the real `useSendMessage` (one conversation's POSTs one after
 *   another, in send order), rendered with React in jsdom;
 * - concurrent: what `useSendMessage` did before — every POST at once, each
 *   confirmed into the same store when it answers — built from the same
 *   pieces (`addOptimistic`, `createPostMessage`, `confirmOptimistic`).
 *
 * Also printed: whether the mock stored the messages in send order.
 *
 *   npm run bench -- sends
 */
// biome-ignore-all lint/correctness/noComponentHookFactories: React is imported inside run(), after NODE_ENV=production is set, so its component is defined there.
import { installJsdomGlobals } from './jsdomGlobals';

/** Fixed latencies, as the issue asks, and a 0–100 ms spread (what reordered concurrent sends). */
const LATENCIES: (number | [number, number])[] = [20, 100, [0, 100]];
const COUNTS = [10, 50];
const REPEATS = 3;
const BASE = 'http://bench.test';

export default async function run(): Promise<void> {
  process.env.NODE_ENV = 'production';
  await installJsdomGlobals();
  const React = await import('react');
  const { createRoot } = await import('react-dom/client');
  const { QueryClient, QueryClientProvider } = await import('@tanstack/react-query');
  const { setupServer } = await import('msw/node');
  const { addOptimistic, confirmOptimistic, createClientId, mergeMessages } = await import(
    '../src/index'
  );
  const { createMessageHandlers } = await import('../src/msw/index');
  const { createPostMessage, getConversationStore, useSendMessage } = await import(
    '../src/react/index'
  );
  type Send = (text: string) => string;

  const server = setupServer();
  server.listen({ onUnhandledRequest: 'error' });

  /** Resolves once every key in `keys` has a sequence in the store's timeline. */
  const confirmed = (store: ReturnType<typeof getConversationStore>, keys: string[]) =>
    new Promise<void>((resolve) => {
      const check = () => {
        const timeline = store.getTimeline();
        if (keys.every((key) => timeline.get(key)?.sequence != null)) {
          unsubscribe();
          resolve();
        }
      };
      const unsubscribe = store.subscribe(check);
      check();
    });

  async function sequential(conversationId: string, texts: string[]): Promise<number> {
    const queryClient = new QueryClient();
    const api: { send?: Send } = {};
    function Composer() {
      const { send } = useSendMessage(conversationId, { baseUrl: BASE, outbox: false });
      api.send = send;
      return null;
    }
    const container = document.createElement('div');
    const root = createRoot(container);
    root.render(
      React.createElement(
        QueryClientProvider,
        { client: queryClient },
        React.createElement(Composer),
      ),
    );
    while (!api.send) await new Promise((resolve) => setImmediate(resolve));
    const store = getConversationStore(queryClient, conversationId);
    const started = performance.now();
    const keys = texts.map((text) => api.send!(text));
    await confirmed(store, keys);
    const elapsed = performance.now() - started;
    root.unmount();
    return elapsed;
  }

  async function concurrent(conversationId: string, texts: string[]): Promise<number> {
    const store = getConversationStore(new QueryClient(), conversationId);
    const postMessage = createPostMessage({ baseUrl: BASE });
    const started = performance.now();
    const keys = texts.map((content) => {
      const clientId = createClientId();
      store.update((t) => addOptimistic(t, { clientId, content }));
      void postMessage({ conversationId, clientId, role: 'user', content }).then((result) =>
        store.update((t) => {
          const withReply = result.reply === undefined ? t : mergeMessages(t, [result.reply]);
          return confirmOptimistic(withReply, clientId, result.message);
        }),
      );
      return clientId;
    });
    await confirmed(store, keys);
    return performance.now() - started;
  }

  const rows: string[][] = [];
  for (const latency of LATENCIES) {
    const handlers = createMessageHandlers({
      baseUrl: BASE,
      seed: 7,
      reply: false,
      chaos: { latency },
    });
    server.resetHandlers(...handlers);
    for (const count of COUNTS) {
      const texts = Array.from({ length: count }, (_, i) => `message ${i + 1}`);
      const times = { sequential: [] as number[], concurrent: [] as number[] };
      const inOrder = { sequential: true, concurrent: true };
      for (let r = 0; r < REPEATS; r++) {
        for (const impl of ['concurrent', 'sequential'] as const) {
          const conversationId = `${impl}-${String(latency)}-${count}-${r}`;
          times[impl].push(
            await (impl === 'sequential' ? sequential : concurrent)(conversationId, texts),
          );
          const stored = handlers.db.messages(conversationId).map((m) => m.content);
          inOrder[impl] &&= stored.join('\n') === texts.join('\n');
        }
      }
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
      const seq = median(times.sequential);
      const con = median(times.concurrent);
      rows.push([
        typeof latency === 'number' ? `${latency} ms` : `${latency[0]}–${latency[1]} ms`,
        String(count),
        `${con.toFixed(0)} ms${inOrder.concurrent ? '' : ' (out of order)'}`,
        `${seq.toFixed(0)} ms${inOrder.sequential ? '' : ' (out of order)'}`,
        `${(seq / con).toFixed(1)}x`,
        `${(seq / count).toFixed(1)} ms`,
      ]);
    }
  }
  server.close();

  const header = [
    'latency',
    'sends',
    'concurrent (before)',
    'sequential (now)',
    'ratio',
    'per send',
  ];
  console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log(
    `(median of ${REPEATS}; "out of order": the mock stored them in another order at least once)`,
  );
}
