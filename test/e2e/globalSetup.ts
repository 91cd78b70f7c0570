import { execFileSync } from 'node:child_process';

/** Builds what the demo serves (the package's dist and the Vite UI), as `npm run demo` does. */
export default function setup(): void {
  execFileSync('npm', ['run', '--silent', 'demo:build'], {
    cwd: new URL('../../', import.meta.url),
    stdio: 'inherit',
  });
}
