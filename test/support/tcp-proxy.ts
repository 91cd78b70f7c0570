/**
 * A loopback TCP proxy for network faults against a real server: `drop()`
 * cuts every connection through it (the client reconnects, the server sees
 * it go), and `hold(pattern)` keeps back the client's bytes from the first
 * chunk that matches until `release()`, in order, to make one command land
 * late on purpose.
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Cuts every open connection, both ways. */
  drop(): void;
  /**
   * From the next client chunk matching `pattern` on, holds client bytes
   * until `release()`; resolves once such a chunk is held.
   */
  hold(pattern: RegExp): Promise<void>;
  /** Sends what was held, in order, and stops holding. */
  release(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(
  targetPort: number,
  targetHost = '127.0.0.1',
): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let pattern: RegExp | undefined;
  let held: { upstream: Socket; chunk: Buffer }[] | undefined;
  let holding: (() => void) | undefined;

  const server = createServer((downstream) => {
    const upstream = createConnection({ port: targetPort, host: targetHost });
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on('close', () => {
        sockets.delete(socket);
        downstream.destroy();
        upstream.destroy();
      });
      socket.on('error', () => {});
    }
    upstream.on('data', (chunk: Buffer) => downstream.write(chunk));
    downstream.on('data', (chunk: Buffer) => {
      if (!held && pattern?.test(chunk.toString('latin1'))) {
        held = [];
        holding?.();
      }
      if (held) held.push({ upstream, chunk });
      else upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('[tcp-proxy] no port');

  return {
    port: address.port,
    drop() {
      for (const socket of sockets) socket.destroy();
    },
    hold(next) {
      pattern = next;
      return new Promise<void>((resolve) => {
        holding = resolve;
      });
    },
    release() {
      const pending = held ?? [];
      pattern = undefined;
      held = undefined;
      for (const { upstream, chunk } of pending) if (!upstream.destroyed) upstream.write(chunk);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
