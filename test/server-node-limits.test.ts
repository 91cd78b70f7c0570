/**
 * toNodeHandler against hostile uploads and requests, on a server in its own
 * process (so its RSS is its own): a 256 MB chunked upload is refused after
 * about `maxBodyBytes`, a lying Content-Length at once, a malformed Host is
 * a 400, and a fuzz of malformed requests never gets a 5xx or kills it.
 */
import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BODY_BYTES, toNodeHandler } from '../src/server';
import { type HandlerServer, startHandlerServer } from './support/node-handler-server';
import { rawRequest as raw } from './support/raw-http';

const MB = 1024 * 1024;

describe('toNodeHandler limits', () => {
  let server: HandlerServer;
  beforeAll(async () => {
    server = await startHandlerServer();
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses a 256 MB chunked upload after about maxBodyBytes, with server RSS growing < 20 MB', async () => {
    // Warm the server up, so the baseline includes what any request costs.
    for (let i = 0; i < 3; i++) {
      await fetch(`${server.url}/warm`, { method: 'POST', body: 'x'.repeat(64 * 1024) });
    }
    const before = server.memory().rss;
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const frame = Buffer.concat([
      Buffer.from(`${chunk.length.toString(16)}\r\n`),
      chunk,
      Buffer.from('\r\n'),
    ]);
    const started = Date.now();
    let sent = 0;
    let sentAtAnswer = -1;
    // A raw socket, as curl does it: it reads the answer while it uploads, and an early
    // close after the 413 (the server stops reading) is not mistaken for no answer.
    const status = await new Promise<number>((resolve) => {
      const socket = new Socket();
      let received = '';
      socket.on('data', (data) => {
        received += data.toString('latin1');
        if (sentAtAnswer < 0 && received.includes('\r\n\r\n')) {
          sentAtAnswer = sent;
          resolve(Number(received.split(' ')[1]));
          socket.destroy();
        }
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve(-1));
      const pump = () => {
        while (sentAtAnswer < 0 && sent < 256 * MB && !socket.destroyed) {
          sent += chunk.length;
          if (!socket.write(frame)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      socket.connect(server.port, '127.0.0.1', () => {
        socket.write('POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
        pump();
      });
    });
    const elapsed = Date.now() - started;
    const grew = server.memory().peak - before;
    console.log(
      `[256 MB upload] 413 after ${elapsed} ms, ${(sentAtAnswer / MB).toFixed(1)} MB sent, server peak RSS +${(grew / MB).toFixed(1)} MB`,
    );
    expect(status).toBe(413);
    // The old adapter read all 256 MB before answering.
    expect(sentAtAnswer).toBeLessThan(32 * MB);
    expect(grew).toBeLessThan(20 * MB);
  });

  it('answers 413 at once to a Content-Length over the limit, before the body arrives', async () => {
    const head = `POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100000000\r\n\r\n`;
    expect(await raw(server.port, `${head}twelve bytes`, { ms: 5000 })).toBe(
      'HTTP/1.1 413 Payload Too Large',
    );
  });

  it('answers 400 to a malformed Host header', async () => {
    expect(await raw(server.port, 'GET / HTTP/1.1\r\nHost: [\r\n\r\n')).toBe(
      'HTTP/1.1 400 Bad Request',
    );
  });

  it('never answers 5xx nor dies on a fuzz of malformed requests', async () => {
    const requests = [
      'GET /%E0%A4%A HTTP/1.1\r\nHost: a\r\n\r\n',
      'GET /%ZZ/%%/%00 HTTP/1.1\r\nHost: a\r\n\r\n',
      'GET //[ HTTP/1.1\r\nHost: a\r\n\r\n',
      'GET http://[::1/x HTTP/1.1\r\nHost: a\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: a b\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: :99999\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: a@b@c\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: \r\n\r\n',
      'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
      'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 50\r\n\r\nshort',
      'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n',
      'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n',
      'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'POST /x HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n{"a',
      'POST /x HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\n\u00ff\u00fe\u0000\u0001',
    ];
    for (const text of requests) {
      for (const end of [false, true]) {
        const line = await raw(server.port, text, { end, ms: 1000 });
        expect(line, JSON.stringify(text)).not.toMatch(/^HTTP\/1\.1 5/);
      }
    }
    expect(server.child.exitCode).toBe(null);
    const after = await fetch(`${server.url}/still-up`, { method: 'POST', body: 'ok' });
    expect(await after.json()).toEqual({ path: '/still-up', bytes: 2 });
  });

  it('checks maxBodyBytes and defaults it to 1 MiB', () => {
    expect(DEFAULT_MAX_BODY_BYTES).toBe(MB);
    expect(() => toNodeHandler(() => new Response(), { maxBodyBytes: -1 })).toThrow(
      /\[seqline\] \[http\] maxBodyBytes must be a non-negative integer/,
    );
  });
});
