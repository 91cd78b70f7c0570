import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createRoundRobinFront, type Upstream } from './front';

/** Options of {@link runCluster}. */
export interface ClusterOptions {
  /** How many instance processes. */
  instances: number;
  /** `redis` or `postgres`: the bus every instance is started with. */
  bus: 'redis' | 'postgres';
  /** The script each instance runs (this demo's main.ts, with `DEMO_INSTANCE` set). */
  entry: string;
  /** The front's port; the next free one when the default is taken. */
  port: number;
  /** Whether `port` was asked for (PORT): then a taken port is an error. */
  portGiven: boolean;
  host: string;
  /** Lines for the banner (storage, sequences). */
  describe: Record<string, string>;
}

interface Instance {
  name: string;
  child: ChildProcess;
  url?: string;
  exited: Promise<void>;
}

/** What an instance sends its launcher over the IPC channel. */
export interface InstanceMessage {
  type: 'listening';
  url: string;
}

/**
 * `npm run demo -- --instances N`: N separate server processes (no memory
 * shared between them: they meet only in Postgres and the bus) and, in this
 * process, a round-robin front on the printed URL. Ctrl-C stops every one.
 *
 * The first instance starts alone, so the schema (the messages table, the
 * bus table) is created once; the others start together after it.
 */
export async function runCluster(options: ClusterOptions): Promise<void> {
  const instances: Instance[] = [];
  let stopping = false;

  const start = (index: number): Promise<Instance> => {
    const name = String(index);
    const { DEMO_INSTANCES: _n, PORT: _p, ...env } = process.env;
    const child = spawn(process.execPath, [...process.execArgv, options.entry], {
      env: { ...env, DEMO_INSTANCE: name, DEMO_BUS: options.bus, PORT: '0', HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => console.log(`[${name}] ${line}`));
    }
    const instance: Instance = {
      name,
      child,
      exited: new Promise((resolve) => child.once('exit', () => resolve())),
    };
    instances.push(instance);
    child.once('exit', (code, signal) => {
      if (stopping) return;
      const left = instances.filter(
        (i) => i.child.exitCode === null && i.child.signalCode === null,
      );
      console.log(
        `\n  instance ${name} exited (${signal ?? `code ${code}`}); ${
          left.length > 0
            ? `the front now sends everything to instance ${left.map((i) => i.name).join(', ')}`
            : 'none is left: stopping'
        }\n`,
      );
      if (left.length === 0) void stop('no instance left', 1);
    });
    return new Promise((resolve, reject) => {
      child.on('message', (message: InstanceMessage) => {
        if (message.type !== 'listening') return;
        instance.url = message.url;
        resolve(instance);
      });
      child.once('exit', () => reject(new Error(`instance ${name} exited before listening`)));
    });
  };

  const front = createRoundRobinFront({
    upstreams: () =>
      instances.flatMap((i): Upstream[] =>
        i.url && i.child.exitCode === null && i.child.signalCode === null
          ? [{ name: i.name, url: i.url }]
          : [],
      ),
  });

  const stop = async (reason: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${reason}: stopping the front and ${instances.length} instances…`);
    const force = setTimeout(() => {
      for (const i of instances) i.child.kill('SIGKILL');
      process.exit(1);
    }, 10_000);
    force.unref();
    await front.close().catch(() => {});
    // A terminal's Ctrl-C reaches the instances too (one process group); a second SIGINT is harmless.
    for (const i of instances) if (i.child.exitCode === null) i.child.kill('SIGINT');
    await Promise.all(instances.map((i) => i.exited));
    console.log('all stopped');
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  try {
    await start(1);
    await Promise.all(Array.from({ length: options.instances - 1 }, (_, i) => start(i + 2)));
  } catch (error) {
    console.error(`\n  ${(error as Error).message}: stopping the others.`);
    await stop('start failed', 1);
    return;
  }

  let address: string;
  try {
    address = await front.listen(options.port, options.host);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || options.portGiven) throw error;
    address = await front.listen(0, options.host);
  }
  const rows = Object.entries(options.describe).map(
    ([key, value]) => `  ${`${key}:`.padEnd(12)}${value}`,
  );
  console.log(`
  seqline chat demo: ${options.instances} instances behind a round-robin front
${rows.join('\n')}
${instances.map((i) => `  instance ${i.name}: ${i.url} (pid ${i.child.pid})`).join('\n')}
  front:      round-robin per request, SSE streams included (header x-seqline-instance)

  ➜  open ${address}   (Ctrl-C stops all of them)
`);
}
