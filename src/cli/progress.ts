import type { BackfillProgress } from '../sql';

/** Where progress is written: stderr, so stdout carries only the result. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * Progress reporter for `seqline backfill`: a bar redrawn in place on a
 * terminal; plain lines (at most one per `interval` ms, plus the last) when
 * piped to a file or a CI log, where carriage returns would pile up.
 */
export function createProgress(stream: ProgressStream, interval = 1000) {
  let lastLine = 0;
  let drawn = false;
  return {
    update(progress: BackfillProgress): void {
      if (stream.isTTY) {
        stream.write(`\r${renderBar(progress)}\u001b[K`);
        drawn = true;
        return;
      }
      const now = performance.now();
      if (now - lastLine < interval) return;
      lastLine = now;
      stream.write(`${renderLine(progress)}\n`);
    },
    /** Ends the bar's line (TTY) or prints the final line (otherwise). */
    done(progress: BackfillProgress | undefined): void {
      if (progress === undefined) return;
      if (stream.isTTY) {
        stream.write(`\r${renderBar(progress)}\u001b[K\n`);
      } else {
        stream.write(`${renderLine(progress)}\n`);
      }
      drawn = false;
    },
    /** Moves off a half-drawn bar before an error is printed. */
    interrupt(): void {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}

/** `[██████░░░░]  60% 6,000/10,000 conversations · 600,000 rows · 12.3 s` */
export function renderBar(progress: BackfillProgress, width = 24): string {
  const ratio = fraction(progress);
  const filled = Math.round(ratio * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  return `[${bar}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${renderCounts(progress)}`;
}

/** `backfill: 60% 6,000/10,000 conversations · 600,000 rows · 12.3 s (batch 12)` */
export function renderLine(progress: BackfillProgress): string {
  return `backfill: ${Math.floor(fraction(progress) * 100)}% ${renderCounts(progress)} (batch ${progress.batch})`;
}

// ---------------------------------------------------------------------------

function fraction(progress: BackfillProgress): number {
  if (progress.scopesTotal <= 0) return 1;
  // Live writes can add scopes during the run: never show more than 100%.
  return Math.min(1, progress.scopesDone / progress.scopesTotal);
}

function renderCounts(progress: BackfillProgress): string {
  const done = progress.scopesDone.toLocaleString('en-US');
  return `${done}/${count(progress.scopesTotal, 'conversation', 'conversations')} · ${count(progress.rowsUpdated, 'row', 'rows')} · ${(progress.elapsedMs / 1000).toFixed(1)} s`;
}

/** `1 batch`, `2 batches`, `1,000 rows`: English plurals for the command's output. */
export function count(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
