/**
 * A loopback TCP proxy for network faults against a real server: `drop()`
 * cuts every connection through it (the client reconnects, the server sees
 * it go); `hold(pattern)` keeps back the client's bytes from the first chunk
 * that matches until `release()`, and `holdReplies()` the server's bytes
 * until `releaseReplies()`, each sent at once and in order: a command lands
 * late, or replies arrive together, on purpose.
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
  /** Sends the held client bytes, each connection's in one write, and stops holding them. */
  release(): void;
  /** From now on, holds the server's bytes until `releaseReplies()`. */
  holdReplies(): void;
  /** Sends the held server bytes, each connection's in one write, and stops holding them. */
  releaseReplies(): void;
  /** Whether the server bytes held so far match `pattern` (read as latin1). */
  holdsReply(pattern: RegExp): boolean;
  close(): Promise<void>;
}

/** Bytes held for one direction: per destination socket, in order. */
type Held = Map<Socket, Buffer[]>;

export async function startTcpProxy(
  targetPort: number,
  targetHost = '127.0.0.1',
): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let pattern: RegExp | undefined;
  let holding: (() => void) | undefined;
  let requests: Held | undefined;
  let replies: Held | undefined;

  const forward = (held: Held | undefined, to: Socket, chunk: Buffer) => {
    if (!held) return void to.write(chunk);
    held.set(to, [...(held.get(to) ?? []), chunk]);
  };
  const flush = (held: Held | undefined) => {
    for (const [to, chunks] of held ?? []) if (!to.destroyed) to.write(Buffer.concat(chunks));
  };

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
    upstream.on('data', (chunk: Buffer) => forward(replies, downstream, chunk));
    downstream.on('data', (chunk: Buffer) => {
      if (!requests && pattern?.test(chunk.toString('latin1'))) {
        requests = new Map();
        holding?.();
      }
      forward(requests, upstream, chunk);
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
      const held = requests;
      pattern = undefined;
      requests = undefined;
      flush(held);
    },
    holdReplies() {
      replies ??= new Map();
    },
    holdsReply(pattern) {
      for (const chunks of replies?.values() ?? []) {
        if (pattern.test(Buffer.concat(chunks).toString('latin1'))) return true;
      }
      return false;
    },
    releaseReplies() {
      const held = replies;
      replies = undefined;
      flush(held);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
