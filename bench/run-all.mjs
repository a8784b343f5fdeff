// Runs every benchmark in turn and prints their tables (the README's table comes from here).
//   npm run bench            (builds first)
// Each script is also runnable alone; they need swaks, smtp-source/smtp-sink and python3 for
// the peer columns (.ci/run installs them).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const scripts = ['session.mjs', 'inject.mjs', 'serve.mjs', 'proxy.mjs', 'lint-mbox.mjs'];
let failed = 0;
for (const script of scripts) {
  console.log(`\n# bench/${script}\n`);
  const result = spawnSync(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
