/**
 * React: main-thread time per streamed delta, and renders per delta (rows
 * and the list component), for lists of 100, 1,000 and 10,000 messages,
 * with React's production build in jsdom. Three implementations side by
 * side, each rendering rows with the same memoized `Row`, fed the same
 * 4-character chunks in lockstep (the next chunk only once the previous one
 * is on screen):
 *
 * - seqline: `OrderedMessageList` over the conversation store (rows subscribe to their own message);
 * - naive: `useState` + copy + sort on every delta;
 * - useChat: the AI SDK's `useChat` (ai 6 / @ai-sdk/react 3) over an in-memory `ChatTransport`;
 * - useChat on seqline's transport (`createSeqlineChatTransport`, seqline/ai), its SSE stream fed
 *   the same deltas as wire events through an in-memory `fetch`;
 * - an AI SDK conversation (`UIMessage`s) converted with `fromUIMessages` and rendered with
 *   `OrderedMessageList`, the reply streamed into the conversation store as seqline deltas.
 *
 * Time per delta is the wall time from handing the chunk over to seeing it
 * in the DOM, polled with setImmediate (the same for all three, so the
 * polling overhead is shared).
 *
 *   npm run bench -- react
 */
// biome-ignore-all lint/correctness/noComponentHookFactories: React is imported inside run(), after NODE_ENV=production is set, so its components are defined there (once per run).
import type { ComponentType, ReactNode } from 'react';
import type { Message } from '../src/index';
import { loadReactInJsdom, until } from './jsdomGlobals';

const SIZES = [100, 1_000, 10_000];
/** Deltas measured per list (after WARMUP unmeasured ones); the median is reported. */
const DELTAS = 150;
const WARMUP = 30;
const CHUNK = 'abcd';

interface Result {
  impl: string;
  size: number;
  perDelta: number;
  rowRenders: number;
  listRenders: number;
}

export default async function run(): Promise<void> {
  const { React, createRoot, QueryClient, QueryClientProvider } = await loadReactInJsdom();
  const seqline = await import('../src/index');
  const seqlineReact = await import('../src/react/index');
  const { useChat } = await import('@ai-sdk/react');
  const seqlineAi = await import('../src/ai/index');
  const h = React.createElement;

  const counters = { rows: 0, list: 0 };
  const Row = React.memo(function Row({ text }: { id: string; text: string }) {
    counters.rows++;
    return h('div', { className: 'row' }, text);
  });
  function Container({ children }: { children?: ReactNode }) {
    counters.list++;
    return h('div', { id: 'list' }, children);
  }

  const lastRowText = (container: HTMLElement) => {
    let last = container.querySelector('#list')?.lastElementChild;
    // OrderedMessageList ends with its live region (for screen readers), after the rows.
    while (last && !last.classList.contains('row')) last = last.previousElementSibling;
    return last?.textContent ?? '';
  };

  function history(size: number) {
    const start = Date.parse('2026-01-01T00:00:00Z');
    return Array.from({ length: size }, (_, i) => ({
      id: `m${i + 1}`,
      conversationId: 'bench',
      sequence: i + 1,
      createdAt: new Date(start + i).toISOString(),
      role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
      content: i === size - 1 ? '' : `message ${i + 1} with some text`,
      status: i === size - 1 ? ('streaming' as const) : ('complete' as const),
    }));
  }

  /** Mounts `app`, then feeds DELTAS chunks through `feed(offset)` in lockstep and measures. */
  async function measure(
    impl: string,
    size: number,
    app: ReactNode,
    ready: (container: HTMLElement) => boolean,
    feed: (offset: number) => void,
  ): Promise<Result> {
    const container = document.createElement('div');
    document.body.append(container);
    const root = createRoot(container);
    root.render(app);
    await until(() => ready(container), 'the delta never reached the DOM');
    let expected = '';
    const times: number[] = [];
    let rows = 0;
    let list = 0;
    for (let i = 0; i < WARMUP + DELTAS; i++) {
      const offset = expected.length;
      expected += CHUNK;
      counters.rows = 0;
      counters.list = 0;
      const started = performance.now();
      feed(offset);
      await until(() => lastRowText(container) === expected, 'the delta never reached the DOM');
      if (i >= WARMUP) {
        times.push(performance.now() - started);
        rows += counters.rows;
        list += counters.list;
      }
    }
    root.unmount();
    container.remove();
    times.sort((a, b) => a - b);
    return {
      impl,
      size,
      perDelta: times[Math.floor(times.length / 2)]!,
      rowRenders: rows / DELTAS,
      listRenders: list / DELTAS,
    };
  }

  async function benchSeqline(
    size: number,
    impl = 'seqline OrderedMessageList',
    messages: ReturnType<typeof history> | Message[] = history(size),
  ): Promise<Result> {
    // gcTime Infinity: no garbage-collection timer keeps the process alive after the run.
    const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity } } });
    queryClient.setQueryData(seqlineReact.messagesQueryOptions('bench').queryKey, { messages });
    const store = seqlineReact.getConversationStore(queryClient, 'bench');
    const renderMessage = ({ message }: { message: { id: string; content: string } }) =>
      h(Row, { id: message.id, text: message.content });
    const List = seqlineReact.OrderedMessageList as ComponentType<Record<string, unknown>>;
    const app = h(
      QueryClientProvider,
      { client: queryClient },
      h(List, {
        conversationId: 'bench',
        as: Container,
        renderMessage,
        history: { fetchMessages: async () => [] },
      }),
    );
    const id = messages.at(-1)!.id;
    const result = await measure(
      impl,
      size,
      app,
      (c) => c.querySelectorAll('.row').length === size,
      (offset) =>
        store.update((t) =>
          seqline.applyStreamEvent(t, { type: 'delta', messageId: id, offset, text: CHUNK }),
        ),
    );
    queryClient.clear();
    return result;
  }

  async function benchNaive(size: number): Promise<Result> {
    type M = ReturnType<typeof history>[number];
    const messages = history(size);
    let push: ((id: string, text: string) => void) | undefined;
    function NaiveList() {
      const [list, setList] = React.useState<M[]>(messages);
      push = (id, text) =>
        setList((previous) =>
          previous
            .map((m) => (m.id === id ? { ...m, content: m.content + text } : m))
            .sort((a, b) => a.sequence - b.sequence || a.createdAt.localeCompare(b.createdAt)),
        );
      return h(
        Container,
        null,
        list.map((m) => h(Row, { key: m.id, id: m.id, text: m.content })),
      );
    }
    const id = messages.at(-1)!.id;
    return measure(
      'naive useState + copy + sort',
      size,
      h(NaiveList),
      (c) => c.querySelectorAll('.row').length === size,
      () => push!(id, CHUNK),
    );
  }

  /** The AI SDK conversation of `size - 2` messages, as `useChat` holds it. */
  const uiHistory = (size: number) =>
    history(size - 2).map((m) => ({
      id: m.id,
      role: m.role,
      parts: [{ type: 'text' as const, text: m.content || 'x' }],
    }));

  async function benchUseChat(size: number): Promise<Result> {
    let controller!: ReadableStreamDefaultController<unknown>;
    const transport = {
      sendMessages: async () =>
        new ReadableStream({
          start(c) {
            controller = c;
            c.enqueue({ type: 'start', messageId: 'reply' });
            c.enqueue({ type: 'text-start', id: 't' });
          },
        }),
      reconnectToStream: async () => null,
    };
    return benchChatList('AI SDK useChat', size, transport, () =>
      controller.enqueue({ type: 'text-delta', id: 't', delta: CHUNK }),
    );
  }

  /** useChat on seqline's transport: the POST answers with the reserved reply, the SSE stream carries the deltas. */
  async function benchUseChatOnSeqline(size: number): Promise<Result> {
    const encoder = new TextEncoder();
    let sse!: ReadableStreamDefaultController<Uint8Array>;
    const at = (sequence: number) => ({
      conversationId: 'bench',
      sequence,
      createdAt: '2026-01-02T00:00:00.000Z',
    });
    const fetch = async (_url: RequestInfo | URL, init?: RequestInit) =>
      init?.method === 'POST'
        ? Response.json({
            message: {
              id: 'u',
              ...at(size - 1),
              role: 'user',
              content: 'prompt',
              status: 'complete',
            },
            reply: { id: 'reply', ...at(size), role: 'assistant', content: '', status: 'pending' },
          })
        : new Response(
            new ReadableStream({
              start(c) {
                sse = c;
              },
            }),
            {
              headers: { 'content-type': 'text/event-stream' },
            },
          );
    const transport = seqlineAi.createSeqlineChatTransport({ fetch });
    return benchChatList('useChat on seqline transport', size, transport, (offset) =>
      sse.enqueue(
        encoder.encode(
          `id: ${offset}\ndata: ${JSON.stringify({ type: 'delta', messageId: 'reply', offset, text: CHUNK })}\n\n`,
        ),
      ),
    );
  }

  /** `useChat` rendering every message, on `transport`; `feed` streams the next chunk of the reply. */
  async function benchChatList(
    impl: string,
    size: number,
    transport: unknown,
    feed: (offset: number) => void,
  ): Promise<Result> {
    const initial = uiHistory(size);
    let send: ((text: string) => void) | undefined;
    function ChatList() {
      // biome-ignore lint/suspicious/noExplicitAny: both transports are structurally a ChatTransport
      const chat = useChat({ id: 'bench', transport: transport as any, messages: initial });
      send = (text) => void chat.sendMessage({ text });
      counters.list++;
      return h(
        'div',
        { id: 'list' },
        chat.messages.map((m) =>
          h(Row, {
            key: m.id,
            id: m.id,
            text: m.parts.map((p) => (p.type === 'text' ? p.text : '')).join(''),
          }),
        ),
      );
    }
    let started = false;
    return measure(
      impl,
      size,
      h(ChatList),
      (c) => {
        if (!started && send) {
          started = true;
          send('prompt');
        }
        return (
          c.querySelectorAll('.row').length === size &&
          c.querySelector('#list')!.lastElementChild!.textContent === ''
        );
      },
      feed,
    );
  }

  /** The AI SDK conversation converted once with `fromUIMessages`, then streamed like seqline's own. */
  function benchAiInOrderedList(size: number): Promise<Result> {
    const ui = [
      ...uiHistory(size),
      { id: 'u', role: 'user' as const, parts: [{ type: 'text' as const, text: 'prompt' }] },
      { id: 'reply', role: 'assistant' as const, parts: [] },
    ];
    const messages = seqlineAi.fromUIMessages(ui, { conversationId: 'bench', streaming: true });
    return benchSeqline(size, 'AI SDK conversation in OrderedMessageList', messages);
  }

  // One unreported pass first: otherwise the first list measured (seqline at 100) also pays
  // for JIT warm-up of React and jsdom, which flatters every later ratio against it.
  const impls = [
    (size: number) => benchSeqline(size),
    benchNaive,
    benchUseChat,
    benchUseChatOnSeqline,
    benchAiInOrderedList,
  ];
  for (const warmUp of impls) await warmUp(SIZES[0]!);
  const results: Result[] = [];
  for (const size of SIZES) {
    for (const impl of impls) results.push(await impl(size));
  }

  const ms = (value: number) =>
    value >= 1 ? `${value.toFixed(2)} ms` : `${(value * 1000).toFixed(0)} µs`;
  console.log(
    '| list size | implementation | time per delta (median) | rows rendered per delta | list renders per delta | vs seqline |',
  );
  console.log('|---:|---|---:|---:|---:|---:|');
  for (const r of results) {
    const ours = results.find((x) => x.size === r.size && x.impl.startsWith('seqline'))!;
    console.log(
      `| ${r.size.toLocaleString('en')} | ${r.impl} | ${ms(r.perDelta)} | ${r.rowRenders.toFixed(2)} | ${r.listRenders.toFixed(2)} | ${(r.perDelta / ours.perDelta).toFixed(1)}x |`,
    );
  }
  const ours = (size: number) =>
    results.find((r) => r.size === size && r.impl.startsWith('seqline'))!.perDelta;
  const chat = (size: number) =>
    results.find((r) => r.size === size && r.impl.includes('useChat'))!.perDelta;
  const aiList = (size: number) =>
    results.find((r) => r.size === size && r.impl.startsWith('AI SDK conversation'))!.perDelta;
  console.log(
    `AI SDK conversation in OrderedMessageList: 10,000 vs 100 ${(aiList(10_000) / aiList(100)).toFixed(2)}x; plain useChat / it at 10,000: ${(chat(10_000) / aiList(10_000)).toFixed(1)}x (target ≥ 20x)`,
  );
  console.log(
    `\nseqline at 10,000 vs 100: ${(ours(10_000) / ours(100)).toFixed(2)}x (target ≤ 2x); useChat / seqline at 10,000: ${(chat(10_000) / ours(10_000)).toFixed(1)}x (target ≥ 10x)`,
  );
}
