/**
 * A private PostgreSQL server for fault tests (killed and restarted under
 * load), never the shared one: initdb in a temp dir, run as the `postgres`
 * user (initdb refuses root), on a port of the 17xxx range. `kill` is a
 * SIGKILL of the postmaster, as a crash; `start` brings it back on the same
 * port and data.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { reachable } from './services';

const BIN = '/usr/lib/postgresql/15/bin';

export interface PrivatePostgres {
  url: string;
  start(): Promise<void>;
  /** SIGKILL the postmaster (a crash); its backends exit when they notice. */
  kill(): Promise<void>;
  close(): Promise<void>;
}

export async function startPrivatePostgres(port: number): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'seqline-pg-'));
  const ids = (name: string) => Number(execFileSync('id', [name, 'postgres']).toString().trim());
  const [uid, gid] = [ids('-u'), ids('-g')];
  chownSync(dir, uid, gid);
  execFileSync(`${BIN}/initdb`, ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres'], {
    uid,
    gid,
    stdio: 'ignore',
  });
  let child: ChildProcess | undefined;
  const server: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      child = spawn(
        `${BIN}/postgres`,
        [
          '-D',
          join(dir, 'data'),
          '-p',
          String(port),
          '-k',
          dir,
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'fsync=off',
        ],
        { uid, gid, stdio: 'ignore' },
      );
      // Listening is not ready: until recovery ends it answers 57P03 "the database system is starting up".
      const until = Date.now() + 30_000;
      while (!(await answers(server.url))) {
        if (Date.now() > until) throw new Error(`private postgres on ${port} did not start`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async kill() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
      // Orphaned backends hold the shared memory until they exit: wait for the port to free.
      while (await reachable('127.0.0.1', port))
        await new Promise((resolve) => setTimeout(resolve, 50));
    },
    async close() {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

/** Whether the server at `url` runs a query (not just accepts a connection). */
async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
