/**
 * Development-only warnings about ordering anomalies. Silent when
 * `NODE_ENV === 'production'` (bundlers replace the check, so it costs
 * nothing there). Each warning names where it came from and what to fix.
 */
export function warn(source: string, message: string): void {
  if (isProduction()) return;
  console.warn(`[seqline] ${source}: ${message}`);
}

function isProduction(): boolean {
  return typeof process !== 'undefined' && process.env?.NODE_ENV === 'production';
}
