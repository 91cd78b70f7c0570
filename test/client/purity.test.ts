/**
 * seqline/client is framework-free: no React, no TanStack React adapter,
 * anywhere in its import graph, and TanStack Query only as types (the
 * caller hands in its `QueryClient`), so Vue, Svelte or plain JS use it as
 * it is. It walks the real graph from the entry, so a new import anywhere
 * under src/client (or what it reaches) fails here.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { QueryClient } from '@tanstack/query-core';
import ts from 'typescript';
import { describe, expect, it, vi } from 'vitest';
import { resolveImport } from '../support/resolveImport';
import { message } from './fixtures';

const ENTRY = resolve(__dirname, '../../src/client/index.ts');

/** Every file reached from `entry` and every package imported, with whether it is `import type`. */
function walk(entry: string) {
  const seen = new Set<string>();
  const packages = new Map<string, { file: string; typeOnly: boolean }[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
    for (const statement of source.statements) {
      if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
      const specifier = statement.moduleSpecifier;
      if (!specifier || !ts.isStringLiteral(specifier)) continue;
      const name = specifier.text;
      if (name.startsWith('.')) {
        const base = resolve(dirname(file), name);
        visit(resolveImport(base));
        continue;
      }
      const typeOnly = ts.isImportDeclaration(statement)
        ? statement.importClause?.isTypeOnly === true
        : statement.isTypeOnly;
      const uses = packages.get(name) ?? [];
      uses.push({ file: relative(resolve(__dirname, '../..'), file), typeOnly });
      packages.set(name, uses);
    }
  };
  visit(entry);
  return { reached: [...seen], packages };
}

describe('seqline/client is framework-free', () => {
  it('imports no React and TanStack Query only as types, transitively', () => {
    const { reached, packages } = walk(ENTRY);
    expect(reached.some((file) => file.includes('/src/react/'))).toBe(false);
    expect(reached.length).toBeGreaterThan(8); // the walk really followed the graph
    expect([...packages.keys()].sort()).toEqual(['@tanstack/query-core', 'zod/mini']);
    // At run time it calls only the QueryClient it is given.
    expect(packages.get('@tanstack/query-core')!.filter((use) => !use.typeOnly)).toEqual([]);
  });

  it('loads and runs a store with react made unloadable', async () => {
    vi.resetModules();
    const forbid = (name: string) => () => {
      throw new Error(`seqline/client imported ${name}`);
    };
    vi.doMock('react', forbid('react'));
    vi.doMock('@tanstack/react-query', forbid('@tanstack/react-query'));
    const client = await import('../../src/client/index');
    const queryClient = new QueryClient();
    queryClient.setQueryData(client.messagesQueryKey('c'), { messages: [message(1)] });
    const store = client.getConversationStore(queryClient, 'c');
    const stop = store.subscribe(() => {});
    expect(store.getTimeline().keys).toEqual(['m1']);
    stop();
    vi.doUnmock('react');
    vi.doUnmock('@tanstack/react-query');
  });
});
