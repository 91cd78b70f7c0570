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
