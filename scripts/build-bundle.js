// Prebuilds the workflow bundle into dist/ so workers start without webpack at run time.
const { bundleWorkflowCode } = require('@temporalio/worker');
const { writeFileSync } = require('node:fs');
const path = require('node:path');

bundleWorkflowCode({
  workflowsPath: require.resolve('../dist/workflows'),
  logger: { info() {}, warn: console.warn, error: console.error, debug() {}, trace() {}, log() {} },
})
  .then(({ code }) => {
    writeFileSync(path.join(__dirname, '..', 'dist', 'workflow-bundle.js'), code);
  })
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
