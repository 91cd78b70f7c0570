/**
 * The core (`seqline`) is pure: it may import zod and nothing else — no
 * react, no @tanstack/react-query, no node: modules, no drivers. This walks
 * the real import graph from the entry point and from every file in src/core
 * (folders included, e.g. core/timeline/), so a new import anywhere in
 * src/core fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it, vi } from 'vitest';
import { resolveImport } from '../support/resolveImport';

const ENTRY = resolve(__dirname, '../../src/index.ts');
const CORE = resolve(__dirname, '../../src/core');

/** Every .ts file under src/core, in folders too. */
function coreFiles(): string[] {
  return readdirSync(CORE, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(CORE, file));
}

function externalImports(...entries: string[]): { files: string[]; packages: Set<string> } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of info.importedFiles) {
      if (fileName.startsWith('.')) {
        const base = resolve(dirname(file), fileName);
        visit(resolveImport(base));
      } else {
        packages.add(fileName);
      }
    }
  };
  for (const entry of entries) visit(entry);
  return { files: [...seen], packages };
}

describe('the core is framework-free and does no I/O', () => {
  it('imports only zod/mini, transitively', () => {
    const { files, packages } = externalImports(ENTRY, ...coreFiles());
    expect(files.length).toBeGreaterThan(5); // the walk really followed the graph
    expect([...packages]).toEqual(['zod/mini']);
  });

  it('reaches into core/timeline/ and never leaves src/core', () => {
    const { files } = externalImports(ENTRY);
    expect(files).toContain(join(CORE, 'timeline', 'Change.ts'));
    expect(files).toContain(join(CORE, 'status.ts'));
    expect(files.filter((file) => file !== ENTRY && !file.startsWith(`${CORE}/`))).toEqual([]);
  });

  it('loads and works with node I/O modules made unloadable', async () => {
    vi.resetModules();
    const forbid = (name: string) => () => {
      throw new Error(`the core imported ${name}`);
    };
    vi.doMock('node:fs', forbid('node:fs'));
    vi.doMock('node:net', forbid('node:net'));
    vi.doMock('node:http', forbid('node:http'));
    const core = await import('../../src/index');
    const timeline = core.mergeMessages(core.createTimeline('c'), [
      {
        id: '1',
        conversationId: 'c',
        sequence: 1,
        createdAt: '2026-01-01T00:00:00Z',
        role: 'user',
        content: 'hi',
        status: 'complete',
      },
    ]);
    expect(timeline.keys).toEqual(['1']);
    vi.doUnmock('node:fs');
    vi.doUnmock('node:net');
    vi.doUnmock('node:http');
  });
});
