/**
 * A bare `toNodeHandler` server in its own process, so a test can read its
 * RSS from /proc without counting the client's memory. Run as
 *
 *   node --import tsx test/support/node-handler-server.ts
 *
 * It prints `listening <port>`. Every request is answered with its body's
 * length, or a 400 for a body that is not JSON when it says it is.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { toNodeHandler } from '../../src/server';

export interface HandlerServer {
  url: string;
  port: number;
  child: ChildProcess;
  /** Resident and peak resident memory (VmRSS, VmHWM), in bytes. */
  memory(): { rss: number; peak: number };
  stop(): Promise<void>;
}

export async function startHandlerServer(): Promise<HandlerServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`handler server exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^listening (\d+)$/.exec(line);
      if (match) resolve(Number(match[1]));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    memory() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = (name: string) =>
        Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1]) * 1024;
      return { rss: kb('VmRSS'), peak: kb('VmHWM') };
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const server = createServer(
    toNodeHandler(async (request) => {
      const body = await request.text();
      if (request.headers.get('content-type') === 'application/json') {
        try {
          JSON.parse(body);
        } catch {
          return Response.json({ error: { code: 'INVALID_JSON' } }, { status: 400 });
        }
      }
      return Response.json({ path: new URL(request.url).pathname, bytes: body.length });
    }),
  );
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(
      `listening ${typeof address === 'object' && address ? address.port : 0}\n`,
    );
  });
}
