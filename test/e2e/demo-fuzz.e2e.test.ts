/**
 * Hostile requests against the demo server process: malformed paths and
 * escapes inside and outside /api, bad Host headers, declared-but-missing
 * bodies, a lying Content-Length, and every API route with bad JSON, types
 * and sizes. Never a 5xx, never a crash, and the server answers afterwards.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest as raw } from '../support/raw-http';
import { type DemoProcess, sqliteBackend, startDemo } from './support/demo';

describe('demo server under hostile requests', () => {
  let demo: DemoProcess;
  beforeAll(async () => {
    demo = await startDemo(sqliteBackend());
  });
  afterAll(async () => {
    await demo?.stop();
  });

  it('answers a malformed escape outside /api with a 400 and stays up', async () => {
    expect(await raw(demo.port, 'GET /%E0%A4%A HTTP/1.1\r\nHost: a\r\n\r\n')).toBe(
      'HTTP/1.1 400 Bad Request',
    );
    expect((await fetch(`${demo.url}api/health`)).status).toBe(200);
  });

  it('answers a Content-Length over the limit with 413 before the body arrives', async () => {
    const head =
      'POST /api/conversations/c/messages HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n';
    expect(await raw(demo.port, `${head}twelve bytes`, { ms: 5000 })).toBe(
      'HTTP/1.1 413 Payload Too Large',
    );
  });

  it('never answers 5xx nor dies on a fuzz of paths, hosts, bodies and routes', async () => {
    const paths = [
      '/%E0%A4%A',
      '/%',
      '/assets/%ZZ',
      '//[',
      '/api/%E0%A4%A',
      '/api/conversations/%E0%A4%A/messages',
      '/api/conversations/%00/messages',
      `/api/conversations/${'x'.repeat(300)}/messages`,
      '/api/conversations/c/messages?after=-1&limit=99999',
      '/api/conversations/c/messages?after=%ZZ',
      '/api/conversations/c/stream',
      '/api/conversations',
      '/api/health',
      '/api/nope',
    ];
    const bodies = [
      '',
      '{',
      'null',
      '[]',
      '{"clientId":1,"content":2}',
      '{"clientId":"a","content":""}',
      `{"clientId":"a","content":"${'x'.repeat(5000)}"}`,
      `{"clientId":"${'c'.repeat(500)}","content":"hi"}`,
      '{"clientId":"a","content":"hi","role":"assistant"}',
      '{"clientId":"a","content":"\\u0000"}',
      `[${'['.repeat(5000)}${']'.repeat(5000)}]`,
    ];
    const requests: string[] = [];
    for (const path of paths) {
      requests.push(`GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
      for (const body of bodies) {
        const length = Buffer.byteLength(body);
        requests.push(
          `POST ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n${body}`,
        );
      }
    }
    for (const host of ['[', 'a@b', ' ', 'a:99999', '%', '[::1']) {
      requests.push(`GET /api/health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      requests.push(`GET /x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    }
    // Declared but missing: the server waits for the body; it must not 5xx once the client gives up.
    requests.push(
      'POST /api/conversations/c/messages HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"clie',
    );
    const statuses: string[] = [];
    for (const request of requests) {
      const line = await raw(demo.port, request, { ms: 1500 });
      if (/^HTTP\/1\.1 5/.test(line)) statuses.push(`${line} for ${JSON.stringify(request)}`);
    }
    expect(statuses).toEqual([]);
    expect(demo.output()).not.toMatch(/URIError|Uncaught/);
    expect((await fetch(`${demo.url}api/health`)).status).toBe(200);
  });
});
