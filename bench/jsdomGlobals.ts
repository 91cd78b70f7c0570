/**
 * A jsdom window as the globals React DOM needs, for benchmarks that render
 * in Node. Call it after setting NODE_ENV and before importing React.
 */
export async function installJsdomGlobals(): Promise<void> {
  // jsdom ships no types and @types/jsdom is not installed: type the one constructor used.
  const { JSDOM } = (await import('jsdom' as string)) as {
    JSDOM: new (html: string) => { window: Window };
  };
  const dom = new JSDOM('<!doctype html><html><body></body></html>');
  const g = globalThis as Record<string, unknown>;
  for (const key of [
    'window',
    'document',
    'navigator',
    'HTMLElement',
    'Node',
    'MutationObserver',
    'getComputedStyle',
  ]) {
    if (!(key in g) || key === 'window' || key === 'document') {
      Object.defineProperty(g, key, {
        value: (dom.window as unknown as Record<string, unknown>)[key],
        configurable: true,
        writable: true,
      });
    }
  }
}

/**
 * React's production build, React DOM and TanStack Query, loaded in a jsdom
 * window (NODE_ENV is set first, so React picks its production build).
 */
export async function loadReactInJsdom() {
  process.env.NODE_ENV = 'production';
  await installJsdomGlobals();
  const React = await import('react');
  const { createRoot } = await import('react-dom/client');
  const { QueryClient, QueryClientProvider } = await import('@tanstack/react-query');
  return { React, createRoot, QueryClient, QueryClientProvider };
}

/** Yields to the event loop (setImmediate) until `done()`; throws `failure` after `limit` turns. */
export async function until(done: () => boolean, failure: string, limit = 100_000): Promise<void> {
  for (let i = 0; !done(); i++) {
    if (i > limit) throw new Error(failure);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
