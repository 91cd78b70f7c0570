import type { Server } from 'node:http';

/**
 * Starts `server` on `port` and `host` (port 0: any free one) and returns the URL a browser
 * opens: `localhost` for `0.0.0.0`, the bound port. Rejects if the port is taken.
 */
export async function listenAt(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return `http://${host === '0.0.0.0' ? 'localhost' : host}:${actual}/`;
}

/** Closes `server` now, open connections (SSE streams included) cut rather than awaited. */
export async function closeNow(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
