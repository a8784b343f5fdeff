#!/usr/bin/env node
// Soak for lint-mbox's memory under a flood of findings: an mbox of --size-mb N
// (default 300) MiB that is nothing but From_ lines, so that every line is a message with
// six findings, linted with each --format to /dev/null. Prints wall time and peak RSS of
// each run: all formats are written as the run goes, so RSS must not grow with the input
// (--format json used to collect every finding first: 4.5 GB on 300 MiB, then abort).
// Options: --size-mb N, --formats json,ndjson,text, --jobs N, --keep. Run `npm run build` first.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, markdownTable, scriptArgs } from './lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = scriptArgs(import.meta.url, { valued: ['--size-mb', '--formats', '--jobs'], flags: ['--keep'] });
const sizeMb = Number(argValue(args, '--size-mb', '300'));
const formats = argValue(args, '--formats', 'json,ndjson,text').split(',');
const jobs = argValue(args, '--jobs', undefined);
const file = join(tmpdir(), `smtpdbg-soak-froms-${sizeMb}mib.mbox`);
const timeBin = '/usr/bin/time';
if (!existsSync(timeBin)) throw new Error('this soak needs /usr/bin/time for peak RSS');

if (!existsSync(file) || statSync(file).size < sizeMb << 20) {
  const block = Buffer.from('From a@example.org Mon Jan  1 00:00:00 2024\n'.repeat(20_000));
  const fd = openSync(file, 'w');
  for (let written = 0; written < sizeMb << 20; ) written += writeSync(fd, block);
  closeSync(fd);
}

const rows = [];
for (const format of formats) {
  const devnull = openSync('/dev/null', 'w');
  const started = process.hrtime.bigint();
  const r = spawnSync(timeBin, ['-f', '%M', 'node', join(root, 'bin/smtpdbg.js'), 'lint-mbox', '--format', format, ...(jobs ? ['--jobs', jobs] : []), file], {
    stdio: ['ignore', devnull, 'pipe'],
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  closeSync(devnull);
  const lines = r.stderr.toString().trim().split('\n');
  const rssKb = Number(lines.at(-1));
  const error = lines.filter((l) => l.startsWith('smtpdbg:')).join(' ');
  rows.push([`--format ${format}${jobs ? ` --jobs ${jobs}` : ''}`, String(r.status), seconds.toFixed(1), (rssKb / 1024).toFixed(0), error || '']);
}
console.log(`${file}: ${sizeMb} MiB of From_ lines\n`);
console.log(markdownTable(['lint-mbox', 'exit', 'seconds', 'peak RSS MB', 'error'], rows));
if (!args.includes('--keep')) unlinkSync(file);
