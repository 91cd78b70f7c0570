/**
 * globalSetup of the `storybook-static` project: makes sure storybook-static
 * is a build of the current sources (CI builds it just before, in .ci/run;
 * locally it is rebuilt when a story, the config or src/ is newer), then
 * serves it on a loopback port for the tests.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the built Storybook is served. */
    storybookUrl: string;
    /** Debian's Chromium and its flags (vitest.config.ts). */
    chromium: { path: string; args: string[] };
  }
}

const root = resolve(import.meta.dirname, '../..');
const out = join(root, 'storybook-static');

export default async function setup(project: TestProject) {
  if (isStale()) {
    const build = spawnSync(
      process.execPath,
      [
        join(root, 'node_modules/storybook/dist/bin/dispatcher.js'),
        'build',
        '--quiet',
        '--loglevel',
        'warn',
        '-o',
        out,
      ],
      { cwd: root, stdio: 'inherit', env: { ...process.env, STORYBOOK_DISABLE_TELEMETRY: '1' } },
    );
    if (build.status !== 0) throw new Error(`storybook build failed (exit ${build.status})`);
  }
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const file = normalize(join(out, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(out) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    });
    response.end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  project.provide('storybookUrl', `http://127.0.0.1:${port}`);
  return () => new Promise<void>((done) => server.close(() => done()));
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** True when there is no build, or a source is newer than it. */
function isStale(): boolean {
  const index = join(out, 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  const newer = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? newer(path) : statSync(path).mtimeMs > built;
    });
  return ['.storybook', 'stories', 'src', 'public'].some((dir) => newer(join(root, dir)));
}
