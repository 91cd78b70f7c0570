/**
 * Private redis-server processes for the suites and benchmarks that must not
 * share the main Redis: one server, or a small cluster, on free loopback
 * ports, each in a temp dir of its own, without persistence. Stop them in
 * `afterAll` (or `finally`) so no redis-server outlives the run.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** A redis-server this process started; `stop` and `start` again keep its port and dir. */
export interface PrivateRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The running server process, if any. */
  readonly child: ChildProcess | undefined;
  /** Starts the server again (after `stop`), on the same port and dir. */
  start(): Promise<void>;
  /** Stops the server (SIGTERM, SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Stops the server and removes its dir. */
  close(): Promise<void>;
}

/** Starts a redis-server on a free loopback port, in a fresh temp dir named `<dirPrefix>XXXXXX`. */
export async function startPrivateRedis(dirPrefix: string): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const redis: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get child() {
      return child;
    },
    async start() {
      child = await startRedisServer(port, dir);
    },
    async stop() {
      if (child) await stopChild(child);
      child = undefined;
    },
    async close() {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await redis.start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return redis;
}

/** A cluster of masters this process started, with every slot assigned. */
export interface PrivateRedisCluster {
  readonly ports: number[];
  /** Comma-separated `127.0.0.1:<port>` seeds. */
  readonly seeds: string;
  /** Stops every node and removes the dir. */
  close(): Promise<void>;
}

/**
 * Starts `masters` cluster-enabled redis-servers on free loopback ports, joins
 * them with `redis-cli --cluster create` (no replicas) and waits for
 * `cluster_state:ok` on every node.
 */
export async function startPrivateRedisCluster(
  masters: number,
  dirPrefix: string,
): Promise<PrivateRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const servers: ChildProcess[] = [];
  const close = async () => {
    await Promise.all(servers.map(stopChild));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports = await freeClusterPorts(masters);
    const seeds = ports.map((port) => `127.0.0.1:${port}`);
    for (const port of ports) servers.push(await startRedisServer(port, dir, { cluster: true }));
    // biome-ignore format: one flag per pair reads best
    await exec('redis-cli', [
      '--cluster', 'create', ...seeds, '--cluster-replicas', '0', '--cluster-yes',
    ]);
    await waitForClusterOk(ports);
    return { ports, seeds: seeds.join(','), close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** `redis-cli -p <port> …args`; its stdout. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  return (await exec('redis-cli', ['-p', String(port), ...args])).stdout;
}

/**
 * Starts `redis-server` on 127.0.0.1:`port` with `dir` as its working dir and
 * no persistence (cluster-enabled with `cluster: true`), and waits for PONG.
 */
export async function startRedisServer(
  port: number,
  dir: string,
  { cluster = false } = {},
): Promise<ChildProcess> {
  const clusterArgs = cluster
    ? ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`)]
    : [];
  // biome-ignore format: one flag per pair reads best
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', ...clusterArgs, '--save', '', '--appendonly', 'no',
    '--dir', dir, '--daemonize', 'no',
  ], { stdio: 'ignore' });
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    if ((await redisCli(port, 'PING').catch(() => '')).trim() === 'PONG') return child;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server${cluster ? ' (cluster node)' : ''} on port ${port} did not start`);
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** A loopback port nobody listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return listenOnce(0);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------

async function waitForClusterOk(ports: number[]): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const infos = await Promise.all(ports.map((port) => redisCli(port, 'CLUSTER', 'INFO')));
    if (infos.every((info) => info.includes('cluster_state:ok'))) return;
    await sleep(50);
  }
  throw new Error(`redis cluster on ${ports.join(',')} never reached cluster_state:ok`);
}

/** `count` free loopback ports whose cluster bus ports (port + 10000) are free too. */
async function freeClusterPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < 50 && ports.length < count; i++) {
    const port = await listenOnce(0);
    if (port > 55_000 || ports.includes(port)) continue;
    if ((await listenOnce(port + 10_000).catch(() => 0)) === port + 10_000) ports.push(port);
  }
  if (ports.length < count) throw new Error('no free ports for a redis cluster');
  return ports;
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
