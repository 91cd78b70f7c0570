/**
 * Prints one plain closing line after vitest's own summary, e.g.
 * `tests: 215 passed, 0 failed, 3 skipped`, so any CI log reader can count
 * real tests (a skipped suite is never counted as passed, and an unhandled
 * error, which fails the run, counts as a failure).
 */
import type { Reporter, SerializedError, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
  ): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A file that failed to load has no tests to count: count it as a failure.
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
    }
    // An unhandled error fails the run (vitest exits 1) even when every test passed: count it.
    failed += unhandledErrors.length;
    const errors =
      unhandledErrors.length > 0 ? ` (${unhandledErrors.length} unhandled errors)` : '';
    console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped${errors}`);
  }
}
