#!/usr/bin/env node
// lint-mbox on a big file starts its worker threads first, so that they start up while
// the command line loads (src/cli/lint-mbox-prestart.ts).
if (process.argv.includes('lint-mbox')) (await import('../dist/cli/lint-mbox-prestart.js')).prestartLintWorkers(process.argv);
await import('../dist/cli/main.js');
