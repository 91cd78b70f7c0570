/**
 * One seqline/msw mock server per rendered story, behind one msw route.
 *
 * msw-storybook-addon resets the worker's handlers whenever any story
 * (re)renders, and a Docs page renders several stories at once. So the
 * worker gets a single router (`mockRouter`, installed with
 * `parameters.msw` in .storybook/preview.tsx) and each story's mock server
 * lives in a registry under its own URL prefix, `/mock/<conversationId>`.
 * Stories on one page never answer each other's requests, and changing a
 * control never throws a story's data away.
 */
import { getResponse, type HttpHandler, HttpResponse, http } from 'msw';
import type { Message } from 'seqline';
import {
  type ChaosOptions,
  createMessageHandlers,
  type MessageHandlers,
  type MessageHandlersOptions,
} from 'seqline/msw';

/** What a story's mock server is built from. */
export interface MockServerOptions
  extends Pick<MessageHandlersOptions, 'conversations' | 'reply' | 'seed'> {
  /** Prefix of the conversation id, to tell stories apart in the network log. */
  name: string;
  /** Races to reproduce (see docs/msw.md). Change them later with `setChaos`. */
  chaos?: ChaosOptions;
  /**
   * Handlers tried before the mock's own, e.g. a POST that fails once.
   * Each gets the server, so it can share its data.
   */
  overrides?: (server: MockServer) => HttpHandler[];
  /** Messages to preload (with sequences 1, 2, …), as `conversations[conversationId]`. */
  history?: NonNullable<MessageHandlersOptions['conversations']>[string];
}

/** A story's mock server: its conversation, its truth, its chaos. */
export interface MockServer {
  /** Unique per rendered story, so stories never share state. */
  readonly conversationId: string;
  /** What the hooks take as `baseUrl`. */
  readonly baseUrl: string;
  /**
   * What the hooks take as `fetch`: the story's handlers answer in the page,
   * with no service-worker round trip, so a story opens in its state at once
   * (through the worker, the first requests of a page load took seconds).
   */
  readonly fetch: typeof fetch;
  /** The handlers and the server's state (`handlers.db`). */
  readonly handlers: MessageHandlers;
  /** The server's truth: the stored messages, ascending by sequence. */
  truth(): Message[];
  /** Resolves when no reply is streaming. */
  idle(): Promise<void>;
  /** The chaos in force (set by the story's controls). */
  readonly chaos: ChaosOptions;
  /** Chaos for the requests from now on (an open stream keeps its own until it reconnects). */
  setChaos(chaos: ChaosOptions): void;
  /** Removes the server from the registry. */
  dispose(): void;
}

declare global {
  interface Window {
    /**
     * The mock servers of the stories on the page, by conversation id: how a
     * test outside the page (test/storybook/screenshot.test.ts) reads the
     * server's truth.
     */
    __seqlineMock?: {
      servers: Map<string, MockServer>;
    };
  }
}

const servers = new Map<string, MockServer>();
/** Per conversation: the handlers to try, overrides first. */
const routes = new Map<string, () => HttpHandler[]>();
if (typeof window !== 'undefined') window.__seqlineMock = { servers };

let created = 0;

/** Creates a story's mock server and registers it under its own URL prefix. */
export function createMockServer(options: MockServerOptions): MockServer {
  created++;
  const conversationId = `${options.name}-${created}-${Math.random().toString(36).slice(2, 6)}`;
  const baseUrl = `/mock/${conversationId}`;
  const handlers = createMessageHandlers({
    baseUrl,
    seed: options.seed ?? 1,
    keepAliveMs: 0,
    ...(options.reply === undefined ? {} : { reply: options.reply }),
    conversations: {
      ...options.conversations,
      ...(options.history ? { [conversationId]: options.history } : {}),
    },
  });
  let active: HttpHandler[] = [...handlers];
  let chaosInForce: ChaosOptions = {};
  const overrides: HttpHandler[] = [];
  const route = () => [...overrides, ...active];
  const server: MockServer = {
    conversationId,
    baseUrl,
    handlers,
    fetch: async (input, init) => {
      const request = new Request(
        new URL(input instanceof Request ? input.url : String(input), location.href),
        init,
      );
      return (await getResponse(route(), request)) ?? notFound(request);
    },
    truth: () => handlers.db.messages(conversationId),
    idle: () => handlers.db.idle(),
    get chaos() {
      return chaosInForce;
    },
    setChaos(chaos) {
      chaosInForce = chaos;
      active = [handlers.history({ chaos }), handlers.send({ chaos }), handlers.stream({ chaos })];
    },
    dispose() {
      handlers.db.reset();
      servers.delete(conversationId);
      routes.delete(conversationId);
    },
  };
  if (options.chaos) server.setChaos(options.chaos);
  overrides.push(...(options.overrides?.(server) ?? []));
  servers.set(conversationId, server);
  routes.set(conversationId, route);
  return server;
}

/** The mock server of the story rendered in `canvas` (its chat carries the conversation id). */
export function mockServerIn(canvas: HTMLElement): MockServer {
  const id = canvas.querySelector('[data-conversation-id]')?.getAttribute('data-conversation-id');
  const server = id ? servers.get(id) : undefined;
  if (!server) throw new Error(`no mock server for the story in this canvas (conversation ${id})`);
  return server;
}

/** The one msw handler: passes each `/mock/<conversationId>/…` request to that story's server. */
export const mockRouter = http.all('*/mock/:conversationId/*', async ({ request, params }) => {
  const route = routes.get(String(params.conversationId));
  if (!route) {
    return HttpResponse.json(
      { error: { code: 'NO_STORY', message: 'this story was unmounted' } },
      { status: 410 },
    );
  }
  return (await getResponse(route(), request)) ?? notFound(request);
});

function notFound(request: Request): Response {
  return HttpResponse.json({ error: { code: 'NOT_FOUND', message: request.url } }, { status: 404 });
}
