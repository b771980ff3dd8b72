// Jest reporter: writes test-results/summary.json and prints the closing line CI reads:
// `tests: N passed, N failed`.
const { mkdirSync, writeFileSync } = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const summary = {
      passed: results.numPassedTests,
      failed,
      skipped: results.numPendingTests,
      suites: results.numTotalTestSuites,
    };
    const dir = path.join(__dirname, '..', '..', 'test-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'summary.json'), `${JSON.stringify(summary)}\n`);
    process.stdout.write(`tests: ${summary.passed} passed, ${summary.failed} failed\n`);
  }
}

module.exports = SummaryReporter;
