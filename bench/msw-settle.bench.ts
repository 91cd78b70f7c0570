/**
 * How long a mocked chaos run takes to settle: from `handlers.db.idle()`
 * (every reply finished on the mock) until the client's timeline equals the
 * mock's truth, for `createMessageHandlers({ seed, chaos: true })` and the
 * hooks with default options. The mock's stream sends `retry: 10`, which
 * `useMessageStream` follows; the baseline in the same run passes
 * `reconnectDelay: 1000`, which is what the defaults did before (each
 * deliberate drop cost a 1 s wait, doubled when drops came in a row).
 *
 *   npm run bench -- msw-settle
 */
// biome-ignore-all lint/correctness/noComponentHookFactories: React is imported inside run(), after jsdom is installed, so the component is defined there (once per case).
import { installJsdomGlobals } from './jsdomGlobals';

const SEEDS = Array.from({ length: 12 }, (_, i) => i + 1);
const SENDS = 3;

export default async function run(): Promise<void> {
  await installJsdomGlobals();
  const React = await import('react');
  const { createRoot } = await import('react-dom/client');
  const { QueryClient, QueryClientProvider } = await import('@tanstack/react-query');
  const { setupServer } = await import('msw/node');
  const { createMessageHandlers } = await import('../src/msw/index');
  const { getConversationStore, useMessageStream, useMessages, useSendMessage } = await import(
    '../src/react/index'
  );
  const h = React.createElement;

  const server = setupServer();
  server.listen({ onUnhandledRequest: 'error' });
  const api = { baseUrl: 'http://bench.test/api' };

  async function settle(seed: number, reconnectDelay: number | undefined): Promise<number> {
    const handlers = createMessageHandlers({ baseUrl: '/api', seed, chaos: true });
    server.resetHandlers(...handlers);
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    let send: ((text: string) => string) | undefined;
    function Chat() {
      useMessages('c1', api);
      useMessageStream('c1', reconnectDelay === undefined ? api : { ...api, reconnectDelay });
      send = useSendMessage('c1', api).send;
      return null;
    }
    const root = createRoot(document.createElement('div'));
    root.render(h(QueryClientProvider, { client: queryClient }, h(Chat)));
    const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    while (!send) await wait(1);
    for (let i = 1; i <= SENDS; i++) send(`message ${i}`);
    while (handlers.db.messages('c1').length < SENDS * 2) await wait(5);
    await handlers.db.idle();
    const started = performance.now();
    const store = getConversationStore(queryClient, 'c1');
    const view = (messages: readonly { id: string; content: string; status: string }[]) =>
      JSON.stringify(messages.map((m) => [m.id, m.content, m.status]));
    while (view(store.getTimeline().messages) !== view(handlers.db.messages('c1'))) {
      if (performance.now() - started > 60_000) throw new Error(`seed ${seed} never settled`);
      await wait(2);
    }
    const settled = performance.now() - started;
    root.unmount();
    handlers.db.reset();
    return settled;
  }

  const rows: { variant: string; median: number; max: number }[] = [];
  for (const [variant, delay] of [
    ['defaults (follows the mock’s retry: 10)', undefined],
    ['baseline: reconnectDelay 1000 (the old default)', 1000],
  ] as const) {
    const times: number[] = [];
    for (const seed of SEEDS) times.push(await settle(seed, delay));
    times.sort((a, b) => a - b);
    rows.push({ variant, median: times[Math.floor(times.length / 2)]!, max: times.at(-1)! });
  }
  server.close();
  console.log(
    `${SEEDS.length} seeds, ${SENDS} sends each, chaos: true; ms from db.idle() to settled\n`,
  );
  console.log('| variant | median | max |\n|---|---:|---:|');
  for (const row of rows) {
    console.log(`| ${row.variant} | ${row.median.toFixed(0)} ms | ${row.max.toFixed(0)} ms |`);
  }
  const [fast, slow] = rows;
  console.log(`\nmedian ratio baseline/defaults: ${(slow!.median / fast!.median).toFixed(1)}x`);
}
