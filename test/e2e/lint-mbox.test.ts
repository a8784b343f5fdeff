import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ruleCatalog } from '../../src/mbox/rules/catalog.js';

const root = join(import.meta.dirname, '../..');
const notspam = join(root, 'fixtures/mbox/notspam');
const rules = join(root, 'fixtures/mbox/rules');
let tmp: string;

/** Runs the built CLI; ANSI codes are stripped (the output is not a TTY anyway). */
function cli(args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, [join(root, 'bin/smtpdbg.js'), 'lint-mbox', ...args], {
    cwd: root,
    input,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined },
    timeout: 20_000,
  });
  const strip = (s: Buffer) => s.toString().replace(/\x1b\[[0-9;]*m/g, '');
  return { status: r.status, stdout: strip(r.stdout), stderr: strip(r.stderr) };
}

beforeAll(() => {
  // `npm test` builds dist/ first; rebuilding it here raced with the other files' runs of the CLI.
  if (!existsSync(join(root, 'dist/cli/lint-mbox.js'))) throw new Error('dist/ is not built: run npm run build');
  tmp = mkdtempSync(join(tmpdir(), 'smtpdbg-lint-'));
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('smtpdbg lint-mbox (built CLI)', () => {
  it('text output: each finding with file:message:line, rule, severity, visible line, From_ and Message-ID; exit 1', () => {
    const r = cli([notspam]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${notspam}:2:16  error  bare-cr`);
    expect(r.stdout).toContain('Date: Fri, 8 Sep 2017 13:44:33 -0400 (EDT)␍From: "Example Name" <example@example.com>␊');
    expect(r.stdout).toContain('From_ From bounce@mta.example-platform.net Fri Sep  8 17:44:33 2017␊  Message-ID <statement-2@example-platform.net>');
    expect(r.stdout).toMatch(/notspam: mboxo, LF line endings, 3 messages \(2 flagged\)/);
    expect(r.stdout).toMatch(/rule\s+severity\s+findings\s+messages\n/);
    expect(r.stdout).toMatch(/placeholder-address\s+error\s+2\s+2\n/);
    expect(r.stdout).toMatch(/bare-cr\s+error\s+1\s+1\n/);
    // Not "in 3 messages": one of the three is clean.
    expect(r.stdout).toContain('7 findings (7 errors) in 2 of 3 messages');
    expect(r.stderr).toBe('');
  });

  it('ndjson: one finding per line with the documented fields', () => {
    const r = cli(['--format', 'ndjson', notspam]);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(7);
    expect(lines[1]).toMatchObject({ rule: 'bare-cr', severity: 'error', file: notspam, message: 2, line: 16, offset: 686 });
    expect(typeof lines[1].text).toBe('string');
  });

  it('json: findings, summary and the variant of each file', () => {
    const r = cli(['--format', 'json', notspam, join(rules, 'content-length-mismatch.neg.mbox')]);
    const doc = JSON.parse(r.stdout);
    expect(doc.findings).toHaveLength(7);
    expect(doc.files.map((f: { variant: string }) => f.variant)).toEqual(['mboxo', 'mboxcl2']);
    expect(doc.summary).toContainEqual({ rule: 'merged-field', severity: 'error', count: 2, messages: 2 });
    expect(doc).toMatchObject({ total: 7, errors: 7, messages: 5, flagged: 2 });
    expect(doc.files[0]).toMatchObject({ messages: 3, flagged: 2, folded: [] });
  });

  it('reads standard input by default and with -', () => {
    const input = readFileSync(notspam);
    expect(cli(['--format', 'ndjson'], input).stdout.trim().split('\n')).toHaveLength(7);
    expect(cli(['--format', 'ndjson', '-'], input).stdout).toContain('"file":"-"');
  });

  it('--rule, --disable, --min-severity and --max-findings', () => {
    const count = (args: string[]) => cli(['--format', 'ndjson', ...args, notspam]).stdout.trim().split('\n').filter(Boolean).length;
    expect(count(['--rule', 'bare-cr'])).toBe(1);
    expect(count(['--disable', 'merged-field', '--disable', 'bare-cr'])).toBe(4);
    expect(count(['--max-findings', '2'])).toBe(2);
    const warnOnly = cli(['--min-severity', 'error', join(rules, 'date-zone.pos.mbox')]);
    expect(warnOnly.status).toBe(0);
    expect(cli([join(rules, 'date-zone.pos.mbox')]).stdout).toContain('date-zone');
  });

  it('--group-by mailer shows that one platform produced every broken message: the table first, no findings', () => {
    const r = cli(['--group-by', 'mailer', notspam]);
    expect(r.stdout).toMatch(/^\nmailer\s+messages\s+flagged\s+rules\n/);
    expect(r.stdout).toMatch(/ExamplePlatform Mailer\s+2\s+2\s+date-trailing-text×2/);
    expect(r.stdout).toMatch(/Thunderbird\s+1\s+0/);
    expect(r.stdout).not.toContain('From_ From');
    expect(r.stdout).toContain('7 findings (7 errors) in 2 of 3 messages');
    expect(r.status).toBe(1);
  });

  it('--extract writes the flagged messages byte-exact', () => {
    const out = join(tmp, 'flagged.mbox');
    cli(['--extract', out, notspam]);
    const source = readFileSync(notspam);
    expect(readFileSync(out).equals(source.subarray(source.indexOf('From bounce@')))).toBe(true);
    expect(cli(['--format', 'ndjson', out]).stdout.trim().split('\n')).toHaveLength(7);
  });

  it('--list-rules lists every rule with severity, description and source', () => {
    const r = cli(['--list-rules']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/bare-cr\s+error\s+a CR not followed by LF.*RFC 5322 §2\.2, RFC 5321 §2\.3\.8/);
    expect(r.stdout).toContain('(off by default)');
    expect(r.stdout.split('\n').filter((l) => /^[a-z0-9-]+\s+(error|warning|info)\s/.test(l))).toHaveLength(ruleCatalog.length);
  });

  it('exit 0 for a clean file', () => {
    const r = cli([join(rules, 'bare-cr.neg.mbox')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('0 findings (0 errors) in 0 of 2 messages');
  });

  it.each([
    [['/no/such/file.mbox'], /^smtpdbg: \/no\/such\/file\.mbox: cannot read \(ENOENT\)\n$/],
    [[root], /^smtpdbg: .*: is a directory, not an mbox file\n$/],
    [['--rule', 'no-such-rule', notspam], /^smtpdbg: unknown rule "no-such-rule" \(see --list-rules\)\n$/],
    [['--max-findings', 'x', notspam], /--max-findings x: expected a whole number/],
    [['--format', 'xml', notspam], /Allowed choices are text, json, ndjson/],
    [['--extract', notspam, notspam], /^smtpdbg: --extract .*notspam: that is one of the input files\n$/],
  ])('%j: one-line error, no stack trace, exit 2', (args, message) => {
    const r = cli(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.skipIf(!existsSync('/usr/bin/script'))('progress on stderr when it is a terminal (run under script(1)), never in a pipe', () => {
    const big = join(tmp, 'big.mbox');
    writeFileSync(big, Buffer.concat(Array.from({ length: 30_000 }, () => readFileSync(notspam))));
    const command = `${process.execPath} ${join(root, 'bin/smtpdbg.js')} lint-mbox --format ndjson ${big} 2>&1 >/dev/null`;
    const tty = spawnSync('/usr/bin/script', ['-qec', command, '/dev/null'], { timeout: 60_000 });
    expect(tty.stdout.toString()).toMatch(/big\.mbox: \d+ MB, \d+ messages, \d+ findings, \d+ MB\/s/);
    expect(cli(['--format', 'ndjson', big]).stderr).toBe('');
  });

  it('binary garbage, NULs and a truncated file: no crash', () => {
    const garbage = join(tmp, 'garbage');
    writeFileSync(garbage, Buffer.concat([Buffer.from('From x Fri Sep  8 17:44:32 2017\nSubject: a\0b'), Buffer.alloc(5000, 0xff)]));
    const r = cli(['--format', 'ndjson', garbage]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('"rule":"no-trailing-newline"');
  });
});
