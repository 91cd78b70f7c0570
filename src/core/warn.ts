/**
 * Development-only warnings about ordering anomalies. Each names where it
 * came from and what to fix.
 *
 * Call sites guard the call, and any check made only to warn, with the
 * condition written out in place, as React and TanStack Query do:
 *
 *     if (process.env.NODE_ENV !== 'production') warn(…)
 *
 * Every bundler (Vite in dev and build, webpack, Next.js, esbuild, Rollup's
 * replace plugin) replaces `process.env.NODE_ENV`, so production builds fold
 * the condition and drop the check and its message, and browser dev builds
 * warn. A function or a constant would hide the condition from them; a
 * `typeof process` test would read "no process" in every browser bundle and
 * silence the warnings where they matter.
 */
export function warn(source: string, message: string): void {
  console.warn(`[seqline] ${source}: ${message}`);
}
