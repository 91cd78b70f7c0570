import { rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * Where the demo keeps its SQLite file: `DATA_DIR`, else the user's own
 * cache directory. Never a folder shared by every user of the machine
 * (`$TMPDIR`), where one user's demo would resume another's replies.
 *
 * - Linux and others: `$XDG_CACHE_HOME/seqline-chat-demo`, else `~/.cache/seqline-chat-demo`
 * - macOS: `~/Library/Caches/seqline-chat-demo`
 * - Windows: `%LOCALAPPDATA%\seqline-chat-demo`
 */
export function demoDataDir(
  env: Record<string, string | undefined> = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (env.DATA_DIR) return env.DATA_DIR;
  const name = 'seqline-chat-demo';
  if (platform === 'darwin') return join(home, 'Library', 'Caches', name);
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), name);
  // The XDG spec: a relative XDG_CACHE_HOME is invalid and must be ignored.
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, '.cache'), name);
}

/** `--reset`: forgets the demo's SQLite database (and its WAL files). */
export function resetSqliteFile(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal'])
    rmSync(`${file}${suffix}`, { force: true });
}
