/**
 * Bundle budget of what an app ships for `seqline` + `seqline/react`:
 * seqline's own code, minified and gzipped, with zod and the peers
 * (react, react-dom, @tanstack/react-query) left external, as a bundler
 * with NODE_ENV=production builds it. The total with zod is reported too.
 *
 * Issue 5 asks for ≤ 5 kB. That target is NOT met: ~10.0 kB today, of
 * which the core (timeline, schemas, persistent map, ordered keys, order,
 * timestamps) is about 6 kB and the React layer about 4 kB. Dev warnings are
 * already dropped (NODE_ENV=production) and zod is zod/mini; the rest is
 * behaviour the issue asks for. The printed breakdown says which module costs
 * what; docs/react.md ("Bundle size") says what each buys. This is a ratchet:
 * it fails when the size grows past `BUDGET`, so nothing silently makes it
 * worse. Lower `BUDGET` whenever the code shrinks.
 */
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/** The target, in bytes (min+gz, seqline's own code). */
const TARGET = 5 * 1024;
/**
 * The ratchet: today's size plus ~1% room. Lower it as the code shrinks. From 9,953 B:
 * send order +1,331 B (the per-conversation send queue with retries, the persisted
 * outbox, typed request errors); long conversations +2,310 B (latest page, older
 * pages, the stream's `after`, the list's chat scrolling, anchoring and its
 * load-older / jump-to-latest affordances); hostile input and long sessions +306 B
 * (the depth bound on extra fields, bounded waiting deltas, releasing idle stores);
 * SQL NULLs read as absent +95 B; following the server's SSE `retry:` +42 B.
 * Issue 16 (the client layer) +399 B against main measured in the same session
 * (14,057 → 14,456): `createSeqlineClient` + `<SeqlineProvider>` (fetch options set
 * once) ~190 B, the stream controller as its own object with start/stop ~110 B,
 * `RequestError` codes ~50 B, the store's listen-driven cache subscription ~40 B.
 */
const BUDGET = 14_600; // measured 14,456 B (14,464 B once seqline/react re-exports all of seqline/client)
/**
 * The same with zod bundled (16,916 B before the above; the NULL-as-absent pipe and
 * transform pull +428 B of zod). 102.6 kB with classic zod, whose chainable API and
 * English locale a client would ship. A zod upgrade may move it a little; an import
 * of classic `zod` fails it.
 */
const BUDGET_WITH_ZOD = 21_850; // measured 21,695 B (issue 16: +410 B, see above)

/**
 * What a `useChat` client adds with `seqline/ai` (the transport and the UIMessage
 * conversions; `ai` and the server half tree-shaken away): measured 4,464 B when it
 * landed. It reuses the core's schemas and the fetch EventSource, which an app on
 * seqline/react already ships, so together they cost less than the sum.
 */
const BUDGET_AI_CLIENT = 4_550;

/**
 * What a Vue, Svelte or plain-JS app ships with `seqline/client` (store, stream
 * controller, fetchers, EventSource over fetch, outbox) and the core it uses:
 * measured 9,587 B when it landed (issue 16), all of it shared with seqline/react.
 */
const BUDGET_CLIENT = 9_700;

const root = resolve(__dirname, '..');
const CLIENT_ENTRY = "export * from './src/client/index';\n";
const REACT_ENTRY = "export * from './src/index';\nexport * from './src/react/index';\n";
const AI_CLIENT_ENTRY =
  "export { createSeqlineChatTransport, fromUIMessages, toUIMessage } from './src/ai/index';\n";
const AI_SDK = ['ai', '@ai-sdk/*'];
const PEERS = [
  'react',
  'react-dom',
  'react/jsx-runtime',
  '@tanstack/react-query',
  '@tanstack/query-core',
];
/** zod and its subpaths (`zod/mini`). */
const ZOD = ['zod', 'zod/*'];

interface Measured {
  /** min+gz bytes of the whole bundle. */
  size: number;
  /** Minified bytes each source module contributes (before gzip, which only applies to the whole). */
  modules: [string, number][];
}

async function measure(external: string[], contents = REACT_ENTRY): Promise<Measured> {
  const result = await build({
    stdin: {
      contents,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    jsx: 'automatic',
    external,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
    metafile: true,
  });
  const [output] = Object.values(result.metafile.outputs);
  const modules = Object.entries(output!.inputs)
    .map(([path, { bytesInOutput }]): [string, number] => [path, bytesInOutput])
    .filter(([, bytes]) => bytes > 0)
    .sort((a, b) => b[1] - a[1]);
  return { size: gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length, modules };
}

describe('bundle budget: seqline + seqline/react', () => {
  it(`stays within the ratchet (${BUDGET} B min+gz, zod and peers excluded)`, async () => {
    const { size: own, modules } = await measure([...ZOD, ...PEERS]);
    const { size: withZod } = await measure(PEERS);
    const minified = modules.reduce((sum, [, bytes]) => sum + bytes, 0);
    console.log(
      [
        `[bundle] seqline + seqline/react: ${own} B min+gz own code (issue target ${TARGET} B: ${own <= TARGET ? 'met' : 'NOT met'}), ${withZod} B with zod`,
        `[bundle] minified bytes per module (${minified} B in all; gzip shrinks the whole ~${(minified / own).toFixed(1)}x):`,
        ...modules.map(([path, bytes]) => `  ${String(bytes).padStart(6)}  ${path}`),
      ].join('\n'),
    );
    expect(own).toBeGreaterThan(1024); // the build really contained the code
    expect(own).toBeLessThanOrEqual(BUDGET);
    expect(withZod).toBeGreaterThan(own);
    expect(withZod).toBeLessThanOrEqual(BUDGET_WITH_ZOD);
  });
});

describe('bundle budget: seqline/client without a framework', () => {
  it(`stays within the ratchet (${BUDGET_CLIENT} B min+gz, zod and peers excluded)`, async () => {
    const { size, modules } = await measure([...ZOD, ...PEERS], CLIENT_ENTRY);
    console.log(
      `[bundle] seqline/client (framework-free layer + the core it uses): ${size} B min+gz`,
    );
    expect(modules.filter(([path]) => /src\/react\//.test(path))).toEqual([]);
    expect(size).toBeLessThanOrEqual(BUDGET_CLIENT);
  });
});

describe('bundle budget: seqline/ai in a useChat client', () => {
  it(`stays within the ratchet (${BUDGET_AI_CLIENT} B min+gz, zod, ai and peers excluded)`, async () => {
    const { size, modules } = await measure([...ZOD, ...PEERS, ...AI_SDK], AI_CLIENT_ENTRY);
    console.log(`[bundle] seqline/ai client (transport + conversions): ${size} B min+gz own code`);
    expect(modules.some(([path]) => path.includes('createSeqlineChatTransport'))).toBe(true);
    // The server half (routes, stores, buses) must not reach a browser bundle.
    expect(modules.filter(([path]) => /src\/(server|sql|redis)\//.test(path))).toEqual([]);
    expect(size).toBeLessThanOrEqual(BUDGET_AI_CLIENT);
  });
});
