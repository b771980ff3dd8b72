#!/usr/bin/env node
'use strict';
// The `readiness` CLI. Runs the compiled code in dist/ (built by `npm run build`).
let client;
try {
  client = require('../dist/client.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/client.js')) {
    process.stderr.write('readiness is not built yet: run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
}
client.main();
