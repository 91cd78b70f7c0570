/**
 * Prints one plain closing line after vitest's own summary, e.g.
 * `tests: 215 passed, 0 failed, 3 skipped`, so any CI log reader can count
 * real tests (a skipped suite is never counted as passed; an unhandled error
 * or a file that failed outside its tests, both of which fail the run, count as
 * a failure).
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
      let failedHere = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failedHere++;
        else skipped++;
      }
      // A file that failed to load, or whose beforeAll threw (its tests then show as
      // skipped), failed with no failed test to count: count the file as a failure.
      if (module.state() === 'failed' && failedHere === 0) failedHere = 1;
      failed += failedHere;
    }
    // An unhandled error fails the run (vitest exits 1) even when every test passed: count it.
    failed += unhandledErrors.length;
    const errors =
      unhandledErrors.length > 0 ? ` (${unhandledErrors.length} unhandled errors)` : '';
    console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped${errors}`);
  }
}
