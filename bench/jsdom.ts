/**
 * Installs a jsdom window as the globals React DOM needs, for the benchmarks
 * that render (they run in plain Node, not in vitest's jsdom environment).
 */
export async function installJsdom(): Promise<void> {
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
