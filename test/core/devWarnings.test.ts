/**
 * Development warnings in the builds apps really make. A browser has no
 * `process`: the bundler replaces `process.env.NODE_ENV`, so a dev build must
 * warn (and not throw), and a production build must not even contain the
 * messages.
 */
import { resolve } from 'node:path';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');

/** `seqline` bundled for the browser with NODE_ENV replaced, as an IIFE exposing its exports. */
async function bundle(nodeEnv: 'development' | 'production'): Promise<string> {
  const result = await build({
    entryPoints: [resolve(root, 'src/index.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'seqline',
    platform: 'browser',
    minify: nodeEnv === 'production',
    define: { 'process.env.NODE_ENV': JSON.stringify(nodeEnv) },
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** Runs the bundle where `process` does not exist, merges a message without a sequence, returns the warnings. */
function warningsIn(code: string): string[] {
  const warnings: string[] = [];
  const sandbox = {
    console: { warn: (message: string) => warnings.push(message) },
    crypto: globalThis.crypto,
  };
  runInNewContext(
    `${code}
    seqline.mergeMessages(seqline.createTimeline('c'), [{
      id: 'm', conversationId: 'c', sequence: null, createdAt: '2026-01-01T00:00:00Z',
      role: 'user', content: 'hi', status: 'complete',
    }]);`,
    sandbox,
  );
  return warnings;
}

describe('development warnings in browser bundles (no `process` at run time)', () => {
  it('a development build warns, naming the fix', async () => {
    const code = await bundle('development');
    expect(code).toContain('SequenceAllocator');
    expect(warningsIn(code)).toEqual([
      expect.stringMatching(/^\[seqline\] mergeMessages: .*has no sequence/),
    ]);
  });

  it('a production build carries no warning text and stays silent', async () => {
    const code = await bundle('production');
    expect(code).not.toContain('SequenceAllocator');
    expect(code).not.toContain('share clientId');
    expect(code).not.toContain('[seqline] ${');
    expect(warningsIn(code)).toEqual([]);
  });
});
