// Start-up and a scripted loopback STARTTLS session, smtpdbg against its peers, in one run.
//   node bench/session.mjs [--runs N] [--server HOST:PORT]
// Targets: start-up ≤ 1.5× bare Node; STARTTLS session ≤ 1.0× swaks.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, compare, have, markdownTable, ratio, scriptArgs } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/smtpdbg.js');
const args = scriptArgs(import.meta.url, { valued: ['--runs', '--server'], flags: [] });
const runs = Number(argValue(args, '--runs', '15'));
const serverArg = argValue(args, '--server', undefined);

const startup = await compare([
  { name: 'node -e 0', command: process.execPath, args: ['-e', '0'] },
  { name: 'smtpdbg --version', command: process.execPath, args: [bin, '--version'] },
  { name: 'smtpdbg --help', command: process.execPath, args: [bin, '--help'] },
], { runs });
const base = startup[0].median;
console.log(`## Start-up (median of ${runs} interleaved runs)\n`);
console.log(markdownTable(['command', 'median ms', 'vs node -e 0', 'target'], startup.map((r) => [r.name, r.median.toFixed(1), ratio(r.median, base), r === startup[0] ? '' : '≤ 1.50×'])));

let server;
let target = serverArg;
let caArgs = [];
let dir;
if (!target) {
  // The capture server in this process: async child processes leave its event loop free.
  const { startCaptureServer } = await import('../dist/server/capture-server.js');
  server = await startCaptureServer({ host: '127.0.0.1', port: 0 });
  target = `127.0.0.1:${server.port}`;
  dir = mkdtempSync(join(tmpdir(), 'smtpdbg-bench-'));
  writeFileSync(join(dir, 'ca.pem'), server.certificate);
  caArgs = ['--ca', join(dir, 'ca.pem')];
}
const cases = [
  // The floor for any Node program: what start-up alone costs against swaks (Perl).
  { name: 'node -e 0 (no session at all)', command: process.execPath, args: ['-e', '0'] },
  { name: 'smtpdbg session --quit-after ehlo', command: process.execPath, args: [bin, 'session', target, ...caArgs, '--quit-after', 'ehlo', '--ehlo', 'bench.localhost'] },
];
if (have('swaks')) {
  cases.push({ name: 'swaks --tls --quit-after EHLO', command: 'swaks', args: ['--server', target, '--tls', '--quit-after', 'EHLO', '--ehlo', 'bench.localhost'] });
}
const sessions = await compare(cases, { runs });
await server?.close();
if (dir) rmSync(dir, { recursive: true, force: true });
console.log(`\n## Loopback STARTTLS session: connect, EHLO, STARTTLS, EHLO, QUIT against ${serverArg ?? 'the capture server'} (median of ${runs})\n`);
const swaks = sessions.find((r) => r.name.startsWith('swaks'));
console.log(markdownTable(['command', 'median ms', 'vs swaks', 'target'], sessions.map((r) => [r.name, r.median.toFixed(1), swaks ? ratio(r.median, swaks.median) : 'swaks not installed', r.name.startsWith('smtpdbg') ? '≤ 1.00×' : ''])));
