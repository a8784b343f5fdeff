// Runs every benchmark in turn and prints their tables (the README's table comes from here).
//   npm run bench            (builds first)
// Each script is also runnable alone; they need swaks, smtp-source/smtp-sink and python3 for
// the peer columns (.ci/run installs them).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { scriptArgs } from './lib.mjs';

scriptArgs(import.meta.url);

const runs = [
  ['session.mjs'],
  ['inject.mjs'],
  ['serve.mjs'],
  ['proxy.mjs'],
  // Header-dense test messages (the worst case), a body-heavy mailbox, and the real-world
  // corpus as it is.
  ['lint-mbox.mjs', '--mix', 'all'],
  ['lint-mbox.mjs', '--mix', 'large'],
  ['lint-mbox.mjs', '--mix', 'real-world'],
  // Precision and recall on real mail, next to Python's email package.
  ['lint-corpus.mjs'],
  // The cost of reading back what Postfix stored (it loads the TypeScript test harness).
  ['observe.mjs'],
  // BDAT against DATA into Postfix, and LMTP into Dovecot (TCP and its Unix socket).
  ['bdat-lmtp.mjs'],
];
/** Scripts that import the TypeScript test harness run with tsx's loader. */
const nodeOptions = (script) => (['observe.mjs', 'bdat-lmtp.mjs'].includes(script) ? ['--import', 'tsx'] : []);
let failed = 0;
for (const [script, ...args] of runs) {
  console.log(`\n# bench/${script} ${args.join(' ')}\n`);
  const result = spawnSync(process.execPath, [...nodeOptions(script), fileURLToPath(new URL(script, import.meta.url)), ...args], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
