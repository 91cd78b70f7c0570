/**
 * Development-only warnings about ordering anomalies. Each names where it
 * came from and what to fix.
 *
 * Call sites guard the call, and any check made only to warn, with the
 * condition written out in place:
 *
 *     if (typeof process !== 'undefined' && process.env.NODE_ENV !== 'production') warn(…)
 *
 * Bundlers replace `process.env.NODE_ENV` with `"production"`, the condition
 * folds to false, and the check and its message are dropped from production
 * builds (a function or a constant would hide the condition from them).
 * `warn` checks again at run time, for code that is not bundled.
 */
export function warn(source: string, message: string): void {
  if (typeof process !== 'undefined' && process.env.NODE_ENV === 'production') return;
  console.warn(`[seqline] ${source}: ${message}`);
}
