/**
 * globalSetup of the `jsdom-react18` project: installs React 18 into
 * test/react18/node_modules (from its lockfile) the first time, e.g. on a
 * clean CI clone where only the root `npm ci` ran.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export default function setup(): void {
  const here = resolve(__dirname);
  if (existsSync(resolve(here, 'node_modules/react-dom/package.json'))) return;
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefix', here], { stdio: 'inherit' });
}
