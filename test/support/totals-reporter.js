// Ends the run's output with one plain line, `N passed, N failed`, so that CI and people read the same figure.
class TotalsReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : '');
    // Jest's own summary prints after every reporter's onRunComplete; the totals go last, at exit.
    process.once('exit', () => process.stdout.write(`\n${line}\n`));
  }
}
module.exports = TotalsReporter;
