/**
 * Gate for suites that need a real service. Usage, at the top of a test file:
 *
 *   const postgres = await requireService('postgres');
 *   describe.runIf(postgres)('postgres allocator', () => { … });
 *
 * Under CI=true an unreachable service throws, so the file fails instead of
 * skipping. Elsewhere the suite is skipped with a loud warning naming the
 * service and how to start it.
 */
import { Socket } from 'node:net';

export const SERVICES = {
  postgres: {
    host: '127.0.0.1',
    port: 5432,
    start: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  },
  mariadb: {
    host: '127.0.0.1',
    port: 3306,
    start: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd',
  },
  redis: {
    host: '127.0.0.1',
    port: 6379,
    start: 'redis-server --daemonize yes --port 6379 --save "" --appendonly no',
  },
} as const;

export type ServiceName = keyof typeof SERVICES;

/** Connection settings the service-backed suites use. */
export const POSTGRES_URL =
  process.env.SEQLINE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MARIADB_URL =
  process.env.SEQLINE_TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test';
export const REDIS_URL = process.env.SEQLINE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const checked = new Map<ServiceName, Promise<boolean>>();

export function requireService(name: ServiceName): Promise<boolean> {
  let result = checked.get(name);
  if (!result) {
    result = reachable(SERVICES[name].host, SERVICES[name].port).then((ok) => {
      if (ok) return true;
      const { host, port, start } = SERVICES[name];
      const line = `${name} is not reachable on ${host}:${port}`;
      if (process.env.CI === 'true') {
        throw new Error(
          `[seqline tests] ${line}; CI=true forbids skipping. Start it with: ${start}`,
        );
      }
      console.warn(
        `\n!!! SKIPPING ${name.toUpperCase()} SUITES: ${line}. Start it with: ${start}\n` +
          '!!! These tests did NOT run; CI runs them and fails if the service is down.\n',
      );
      return false;
    });
    checked.set(name, result);
  }
  return result;
}

/** Whether something accepts TCP connections on host:port (1 s timeout). */
export function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, host);
  });
}
