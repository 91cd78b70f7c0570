/**
 * Issue 15: `messagesQueryOptions` from seqline/react failed at run time in a
 * Server Component (the whole entry is "use client"). seqline/query holds the
 * server-safe parts: this walks its real import graph, which must reach no
 * React (only @tanstack/query-core's types, since seqline/client, and zod), and
 * prefetches with it in Node, as a Server Component does.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { dehydrate, QueryClient } from '@tanstack/react-query';
import { setupServer } from 'msw/node';
import ts from 'typescript';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMessageHandlers } from '../../src/msw/index';
import { messagesQueryKey, messagesQueryOptions } from '../../src/react/query';
import { resolveImport } from '../support/resolveImport';

const ENTRY = resolve(__dirname, '../../src/react/query.ts');

function packagesImported(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    expect(source, file).not.toMatch(/^['"]use client['"]/m);
    for (const { fileName } of ts.preProcessFile(source, true, true).importedFiles) {
      if (!fileName.startsWith('.')) packages.add(fileName);
      else {
        const base = resolve(dirname(file), fileName);
        visit(resolveImport(base));
      }
    }
  };
  visit(entry);
  return packages;
}

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

it('imports no React, transitively', () => {
  expect([...packagesImported(ENTRY)].sort()).toEqual(['@tanstack/query-core', 'zod/mini']);
});

it('prefetches the latest page on the server and dehydrates it for the client', async () => {
  const handlers = createMessageHandlers({
    baseUrl: 'http://api.test',
    conversations: {
      c1: [
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: 'hi!' },
      ],
    },
  });
  server.use(...handlers);
  const queryClient = new QueryClient();
  await queryClient.prefetchQuery(messagesQueryOptions('c1', { baseUrl: 'http://api.test' }));
  const state = dehydrate(queryClient);
  const query = state.queries.find(
    (q) => JSON.stringify(q.queryKey) === JSON.stringify(messagesQueryKey('c1')),
  );
  const data = query?.state.data as { messages: { content: string }[] } | undefined;
  expect(data?.messages.map((m) => m.content)).toEqual(['hello', 'hi!']);
});
