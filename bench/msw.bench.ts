/**
 * The msw mock database's `send`: total time for 5k, 10k and 20k sends to
 * one conversation (no streamed reply), so its growth shows. Linear means
 * the per-send cost stays flat as the conversation grows.
 *
 * Run: `npm run bench -- msw` (a few seconds).
 */
import { performance } from 'node:perf_hooks';
import { createMockDb } from '../src/msw';

export default async function run(): Promise<void> {
  const rows: string[] = [];
  let base: number | undefined;
  for (const n of [5_000, 10_000, 20_000]) {
    const db = createMockDb({ seed: 1, reply: false });
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      await db.send('c1', { clientId: `k${i}`, role: 'user', content: `message ${i}` });
    }
    const ms = performance.now() - started;
    base ??= ms / 5_000;
    const perSend = ms / n;
    rows.push(
      `| ${n.toLocaleString('en')} | ${ms.toFixed(0)} ms | ${(perSend * 1000).toFixed(1)} µs | ${(perSend / base).toFixed(2)}× |`,
    );
  }
  console.log('| sends | total | per send | per send vs 5k |');
  console.log('| ---: | ---: | ---: | ---: |');
  for (const row of rows) console.log(row);
}
