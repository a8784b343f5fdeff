import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * lint-mbox's outputs on real archives and under abuse: summaries that say how many messages
 * were flagged, archive patterns said once, --group-by and --summary-only, the JSON
 * document streamed in bounded memory, and every output's write failure on one line.
 */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/smtpdbg.js');
const notspam = join(root, 'fixtures/mbox/notspam');
const rules = join(root, 'fixtures/mbox/rules');
const realWorld = join(root, '../shared/corpora/real-world');
let tmp: string;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

const text = (r: SpawnSyncReturns<Buffer>): Run => ({ status: r.status, stdout: r.stdout?.toString() ?? '', stderr: r.stderr.toString() });

/** The built CLI with standard output on a pipe (one thread: lint-mbox keeps to it for a socket). */
function cli(args: string[], options: { input?: Buffer; env?: Record<string, string | undefined> } = {}): Run {
  return text(
    spawnSync(process.execPath, [bin, 'lint-mbox', ...args], {
      cwd: root,
      input: options.input,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...options.env },
      timeout: 60_000,
      maxBuffer: 1 << 28,
    }),
  );
}

/** The built CLI with standard output in a file, so that worker threads may write it (--jobs). */
function toFile(args: string[], env: Record<string, string | undefined> = {}): Run {
  const path = join(tmp, `out-${outputs++}`);
  const fd = openSync(path, 'w');
  try {
    const r = spawnSync(process.execPath, [bin, 'lint-mbox', ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...env },
      stdio: ['ignore', fd, 'pipe'],
      timeout: 60_000,
    });
    return { status: r.status, stdout: readFileSync(path, 'utf8'), stderr: r.stderr.toString() };
  } finally {
    closeSync(fd);
    rmSync(path);
  }
}
let outputs = 0;

/** Small ranges, so that files of a few hundred kilobytes are linted by worker threads. */
const ranges = (bytes: number) => ({ SMTPDBG_LINT_RANGE_BYTES: String(bytes) });

const ndjson = (out: string) =>
  out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { rule: string; message: number; detail: string; type?: string });

/** A message as Mailman's pipermail archives it: "user at host" in the From_ line and in From:. */
const pipermail = (n: number, extra = '') =>
  `From andy at example.com  Sat Nov 14 21:${String(n % 60).padStart(2, '0')}:28 2015\n` +
  `From: andy at example.com (Andy Grunwald)\nDate: Sat, 14 Nov 2015 21:29:28 +0100\nSubject: message ${n}\n` +
  `Message-ID: <${n}@example.com>\n${extra}\nBody ${n}.\n\n`;

/** A message whose Date: an older Mailman archiver replaced with the time it received it, in ctime() form. */
const clobbered = (n: number) =>
  `From list-bounces@example.org Sat Nov 14 21:29:28 2015\nFrom: Andy <andy@example.com>\nDate: Sat Nov 14 21:29:${String(n % 60).padStart(2, '0')} 2015\n` +
  `X-Original-Date: Sat, 14 Nov 2015 21:29:28 +0100\nSubject: message ${n}\nMessage-ID: <${n}@example.com>\n\nBody ${n}.\n\n`;

/** Peak RSS (kB) of a command, measured by /usr/bin/time from outside; standard output to /dev/null. */
function peakRss(args: string[], env: Record<string, string | undefined> = {}): { status: number | null; kb: number; stderr: string } {
  const devNull = openSync('/dev/null', 'w');
  try {
    const r = spawnSync('/usr/bin/time', ['-f', 'peak-rss-kb %M', process.execPath, bin, 'lint-mbox', ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...env },
      stdio: ['ignore', devNull, 'pipe'],
      timeout: 120_000,
    });
    const stderr = r.stderr.toString();
    return { status: r.status, kb: Number(/peak-rss-kb (\d+)/.exec(stderr)?.[1]), stderr: stderr.replace(/(?:Command exited with non-zero status \d+\n)?peak-rss-kb \d+\n$/, '') };
  } finally {
    closeSync(devNull);
  }
}

/** Writes `body` to a file under the test's directory; returns its path. */
function file(name: string, body: string | Buffer): string {
  const path = join(tmp, name);
  writeFileSync(path, body);
  return path;
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist/cli/lint-mbox.js'))) throw new Error('dist/ is not built: run npm run build');
  tmp = mkdtempSync(join(tmpdir(), 'smtpdbg-lint-output-'));
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('summary: how many messages the findings are in', () => {
  it('text: a messages column per rule, flagged messages per file, "N findings in K of M messages"', () => {
    const clean = join(rules, 'bare-cr.neg.mbox');
    const r = cli([notspam, clean]);
    expect(r.stdout).toMatch(/notspam: mboxo, LF line endings, 3 messages \(2 flagged\), 1432 bytes/);
    expect(r.stdout).toMatch(/bare-cr\.neg\.mbox: mboxo, CRLF line endings, 2 messages \(0 flagged\)/);
    expect(r.stdout).toMatch(/merged-field\s+error\s+2\s+2\n/);
    expect(r.stdout).toContain('7 findings (7 errors) in 2 of 5 messages');
  });

  it('one message with many findings of one rule counts once in its column', () => {
    const many = file('many-dup.mbox', `From a@b Mon Jan  1 00:00:00 2024\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nFrom: a@b.example\nMessage-ID: <1@b>\n${'Subject: x\n'.repeat(5)}${'Cc: c@d.example\n'.repeat(3)}\nbody\n`);
    const r = cli(['--format', 'json', many]);
    const doc = JSON.parse(r.stdout);
    const dup = doc.summary.find((s: { rule: string }) => s.rule === 'duplicate-field');
    // One duplicate-field finding per repeated field (Subject, Cc): two findings, one message.
    expect(dup.count).toBe(2);
    expect(dup.messages).toBe(1);
    expect(doc).toMatchObject({ messages: 1, flagged: 1 });
  });

  it('worker threads count the same messages as one thread (--format json, summary and files)', () => {
    const big = file('summary-big.mbox', Buffer.concat(Array.from({ length: 200 }, () => readFileSync(notspam))));
    const summary = (r: Run) => {
      const { findings: _, ...rest } = JSON.parse(r.stdout);
      return rest;
    };
    // A small file before and after: the worker threads' findings are the middle of one JSON array.
    const one = toFile(['--jobs', '1', '--format', 'json', notspam, big, notspam]);
    const two = toFile(['--jobs', '2', '--format', 'json', notspam, big, notspam], ranges(20_000));
    expect(two.stderr).toBe('');
    expect(two.stdout).toBe(one.stdout);
    expect(summary(one)).toMatchObject({ total: 1414, messages: 606, flagged: 404 });
    const summaryOnly = toFile(['--jobs', '2', '--summary-only', '--format', 'json', notspam, big, notspam], ranges(20_000));
    expect(JSON.parse(summaryOnly.stdout)).toEqual(summary(one));
  });
});

describe('--format json: one document, streamed', () => {
  it('on 2 MiB of From_ lines (570,000 findings per 4 MiB) peak RSS stays bounded, one thread and workers', () => {
    const line = 'From a@example.org Mon Jan  1 00:00:00 2024\n';
    const froms = file('froms.mbox', line.repeat(Math.ceil((2 << 20) / line.length)));
    // Before, the findings were collected for one JSON.stringify: 685 MB here (4.5 GB
    // on 300 MiB), now about 65 MB whatever the size.
    for (const [args, env] of [
      [['--jobs', '1'], {}],
      [['--jobs', '2'], ranges(256 << 10)],
    ] as const) {
      const r = peakRss(['--format', 'json', ...args, froms], env);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(1);
      expect(r.kb).toBeGreaterThan(10_000);
      expect(r.kb).toBeLessThan(160_000);
    }
    const doc = JSON.parse(toFile(['--format', 'json', '--jobs', '2', froms], ranges(256 << 10)).stdout);
    expect(doc.findings).toHaveLength(doc.total);
    expect(doc.total).toBeGreaterThan(250_000);
  }, 120_000);

  it('a finding per line between the opening and the summary; --max-findings still closes the document', () => {
    const r = cli(['--format', 'json', '--max-findings', '3', notspam]);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('{"findings":[');
    expect(lines.slice(1, 4).every((l) => /^\{"rule":.*\},?$/.test(l))).toBe(true);
    expect(lines[4]).toBe('],');
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ total: 3, truncated: true });
    expect(doc.findings).toHaveLength(3);
  });

  it('no findings: an empty array', () => {
    const doc = JSON.parse(cli(['--format', 'json', join(rules, 'bare-cr.neg.mbox')]).stdout);
    expect(doc).toMatchObject({ findings: [], total: 0, messages: 2, flagged: 0 });
  });
});

describe('write failures: one line naming the output, exit 2', () => {
  const full = '/dev/full';
  /** Standard output on /dev/full. */
  function onFull(args: string[], env: Record<string, string | undefined> = {}): Run {
    const fd = openSync(full, 'w');
    try {
      return text(spawnSync(process.execPath, [bin, 'lint-mbox', ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', fd, 'pipe'], timeout: 60_000 }));
    } finally {
      closeSync(fd);
    }
  }
  const enospc = `smtpdbg: cannot write ${full}: ENOSPC (no space left on device)\n`;

  it.skipIf(!existsSync(full)).each([
    ['text, a clean file (only the summary is written)', [join(rules, 'bare-cr.neg.mbox')]],
    ['ndjson with findings', ['--format', 'ndjson', notspam]],
    ['json', ['--format', 'json', notspam]],
    ['--list-rules', ['--list-rules']],
  ])('standard output on /dev/full, %s', (_, args) => {
    const r = onFull(args);
    expect(r.stderr).toBe(enospc);
    expect(r.status).toBe(2);
  });

  it.skipIf(!existsSync(full))('standard output on /dev/full, worker threads', () => {
    const big = file('full-big.mbox', Buffer.concat(Array.from({ length: 100 }, () => readFileSync(notspam))));
    const r = onFull(['--jobs', '2', '--format', 'ndjson', big], ranges(8000));
    expect(r.stderr).toBe(enospc);
    expect(r.status).toBe(2);
  });

  it.skipIf(!existsSync(full))('--extract /dev/full is a write error on the extract file, not a read error on the input', () => {
    const r = cli(['--extract', full, notspam]);
    expect(r.stderr).toBe(enospc);
    expect(r.status).toBe(2);
  });

  it('--extract into a directory that does not exist', () => {
    const missing = join(tmp, 'no-such-dir', 'x.mbox');
    const r = cli(['--extract', missing, notspam]);
    expect(r.stderr).toBe(`smtpdbg: cannot write ${missing}: ENOENT (no such file or directory)\n`);
    expect(r.status).toBe(2);
  });

  it.each([['text'], ['json'], ['ndjson']])('a closed pipe (| head -1) ends --format %s quietly', (format) => {
    const big = file(`pipe-${format}.mbox`, Buffer.concat(Array.from({ length: 300 }, () => readFileSync(notspam))));
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `'${process.execPath}' '${bin}' lint-mbox --format ${format} '${big}' | head -n 1`], { timeout: 60_000 });
    expect(r.stdout.toString().split('\n')).toHaveLength(2);
    expect(r.stderr.toString()).toBe('');
    // With pipefail the status is lint-mbox's: it stopped quietly (0) or had found problems (1).
    expect([0, 1]).toContain(r.status);
  });
});

describe('archive patterns: one finding that names the archiver instead of the same errors on every message', () => {
  it('a pipermail-style archive: one archive-pattern warning, the per-message findings folded and counted; other findings stay', () => {
    const archive = file('pipermail.mbox', [1, 2, 3, 4].map((n) => pipermail(n)).join('') + pipermail(5, 'Subject: merged\rX-Other: y\n'));
    const r = cli([archive]);
    expect(r.stdout).toMatch(/pipermail\.mbox:1:1 {2}warning {2}archive-pattern {2}Mailman's pipermail archiver: addresses written "user at host".* in 5 of the first 5 messages/);
    expect(r.stdout).not.toMatch(/ {2}(?:error|warning) {2}(?:address-invalid|from-sender-spaces) {2}/);
    expect(r.stdout).toContain('10 findings in 5 of 5 messages folded into one archive-pattern finding');
    // The bare CR of message 5 is still an error of its own.
    expect(r.stdout).toMatch(/pipermail\.mbox:5:\d+ {2}error {2}bare-cr/);
    expect(r.status).toBe(1);
    const doc = JSON.parse(cli(['--format', 'json', archive]).stdout);
    expect(doc.files[0].folded).toEqual([expect.objectContaining({ pattern: 'pipermail-at', findings: 10, messages: 5 })]);
    expect(doc.summary).toContainEqual({ rule: 'archive-pattern', severity: 'warning', count: 1, messages: 1 });
  });

  it('--disable archive-pattern lists every finding again', () => {
    const archive = file('pipermail-3.mbox', [1, 2, 3].map((n) => pipermail(n)).join(''));
    expect(cli([archive]).status).toBe(0);
    const all = ndjson(cli(['--format', 'ndjson', '--disable', 'archive-pattern', archive]).stdout);
    expect(all.map((f) => f.rule).sort()).toEqual(['address-invalid', 'address-invalid', 'address-invalid', 'from-sender-spaces', 'from-sender-spaces', 'from-sender-spaces']);
  });

  it('not archive-wide: 2 of 3 messages is not "nearly every" message', () => {
    const mixed = file('pipermail-mixed.mbox', readFileSync(join(rules, 'archive-pattern.neg.mbox')));
    const rules_ = ndjson(cli(['--format', 'ndjson', mixed]).stdout).map((f) => f.rule);
    expect(rules_).not.toContain('archive-pattern');
    expect(rules_.filter((r) => r === 'address-invalid')).toHaveLength(2);
  });

  it("a ctime() Date: (older Mailman archivers, clobber_date), detected the same way on standard input", () => {
    const archive = [1, 2, 3, 4].map(clobbered).join('');
    const r = cli(['--format', 'ndjson', '-'], { input: Buffer.from(archive) });
    const found = ndjson(r.stdout);
    expect(found.map((f) => f.rule)).toEqual(['archive-pattern']);
    expect(found[0]!.detail).toMatch(/^Mailman's archiver \(clobber_date\): Date: in C's ctime\(\) form/);
    expect(r.status).toBe(0);
  });

  it('worker threads fold the same findings as one thread, wherever the ranges fall', () => {
    const messages = Array.from({ length: 3000 }, (_, i) => pipermail(i + 1, i === 1700 ? 'From: [no-from]\n' : ''));
    const archive = file('pipermail-big.mbox', messages.join(''));
    const one = toFile(['--jobs', '1', '--format', 'ndjson', archive]);
    const two = toFile(['--jobs', '2', '--format', 'ndjson', archive], ranges(30_000));
    expect(two.stderr).toBe('');
    expect(two.stdout).toBe(one.stdout);
    expect(ndjson(one.stdout).map((f) => `${f.rule} ${f.message}`)).toEqual(['archive-pattern 1', 'duplicate-field 1701', 'placeholder-address 1701']);
    const json = (args: string[], env = {}) => JSON.parse(toFile(['--format', 'json', ...args, archive], env).stdout).files[0].folded;
    expect(json(['--jobs', '2'], ranges(30_000))).toEqual(json(['--jobs', '1']));
  });

  it('messages too big for 20 in the first MiB: those that end within it decide, the same with workers and on standard input', () => {
    const body = `${'x'.repeat(75)}\n`.repeat(1000);
    const archive = file('pipermail-large.mbox', Array.from({ length: 30 }, (_, i) => pipermail(i + 1, '').replace(`Body ${i + 1}.`, body)).join(''));
    const one = toFile(['--jobs', '1', '--format', 'ndjson', archive]);
    const found = ndjson(one.stdout);
    expect(found.map((f) => f.rule)).toEqual(['archive-pattern']);
    expect(found[0]!.detail).toMatch(/in 13 of the first 13 messages/);
    expect(toFile(['--jobs', '2', '--format', 'ndjson', archive], ranges(200_000)).stdout).toBe(one.stdout);
    const piped = cli(['--format', 'ndjson', '-'], { input: readFileSync(archive) });
    expect(piped.stdout).toBe(one.stdout.replaceAll(JSON.stringify(archive), '"-"'));
  });

  it.skipIf(!existsSync(realWorld))('a real pipermail archive (perceval test data): no error left, exit 0', () => {
    const real = join(realWorld, 'perceval--pipermail__pipermail_2015_november.mbox');
    const r = cli(['--format', 'ndjson', real]);
    const found = ndjson(r.stdout);
    expect(found.map((f) => f.rule)).toEqual(['archive-pattern']);
    expect(found[0]!.detail).toContain('4 of the first 4 messages');
    expect(r.status).toBe(0);
  });
});

describe('--group-by and --summary-only', () => {
  it('received-from groups by the connecting host and address, not the HELO name', () => {
    const r = cli(['--group-by', 'received-from', notspam]);
    expect(r.stdout).toMatch(/^\nreceived-from\s+messages\s+flagged\s+rules\n/);
    expect(r.stdout).toMatch(/mta\.example-platform\.net \[198\.51\.100\.7\]\s+2\s+2\s+/);
    expect(r.stdout).toMatch(/mail\.example\.org \[192\.0\.2\.10\]\s+1\s+0/);
  });

  it('mailers with different versions are one row', () => {
    const mail = (version: string, n: number) =>
      `From a@example.org Mon Jan  1 00:00:0${n} 2024\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nFrom: a@example.org\nMessage-ID: <${n}@x>\nX-Mailer: Microsoft Outlook Express ${version}\n\nbody\n\n`;
    const r = cli(['--group-by', 'mailer', file('mailers.mbox', mail('6.00.2800.1106', 1) + mail('6.00.2900.5512', 2) + mail('5.50.4133.2400', 3))]);
    expect(r.stdout).toMatch(/Microsoft Outlook Express\s+3\s+0/);
  });

  it('--summary-only: the summary without the findings, in every format', () => {
    const textOnly = cli(['--summary-only', notspam]);
    expect(textOnly.stdout).not.toContain('From_ From');
    expect(textOnly.stdout).toContain('7 findings (7 errors) in 2 of 3 messages');
    expect(textOnly.status).toBe(1);
    const lines = ndjson(cli(['--summary-only', '--format', 'ndjson', '--group-by', 'mailer', notspam]).stdout);
    expect(lines.map((l) => l.type)).toEqual(['group', 'group', 'summary']);
    expect(lines[2]).toMatchObject({ total: 7, flagged: 2, messages: 3 });
    const doc = JSON.parse(cli(['--summary-only', '--format', 'json', notspam]).stdout);
    expect(doc).not.toHaveProperty('findings');
    expect(doc).toMatchObject({ total: 7, flagged: 2 });
  });
});

describe('on a terminal', () => {
  it('the line end of an LF file is dim, a bare CR is highlighted (FORCE_COLOR)', () => {
    const r = cli([notspam], { env: { FORCE_COLOR: '1', NO_COLOR: undefined } });
    const dimLf = '\x1b[2m␊\x1b[22m';
    expect(r.stdout).toContain(`From: [no-from]${dimLf}`);
    expect(r.stdout).toContain('(EDT)\x1b[41m\x1b[37m\x1b[1m␍');
    expect(r.stdout).not.toContain('\x1b[41m\x1b[37m\x1b[1m␊');
  });

  /** Runs a shell command under script(1), so that its standard input and output are a terminal. */
  const underTerminal = (command: string, input = '') => spawnSync('/usr/bin/script', ['-qec', command, '/dev/null'], { input, timeout: 60_000 });

  it.skipIf(!existsSync('/usr/bin/script'))('no file named and standard input a terminal: refused, exit 2', () => {
    const r = underTerminal(`'${process.execPath}' '${bin}' lint-mbox; echo "exit=$?"`);
    const out = r.stdout.toString();
    expect(out).toContain('smtpdbg: lint-mbox: no mbox file named, and standard input is a terminal (name a file, pipe one in, or give - to type one)');
    expect(out).toContain('exit=2');
    expect(out).not.toContain('0 messages');
    // Listing the rules reads no input.
    const rules = underTerminal(`'${process.execPath}' '${bin}' lint-mbox --list-rules; echo "exit=$?"`).stdout.toString();
    expect(rules).toMatch(/archive-pattern\s+warning/);
    expect(rules).toContain('exit=0');
  });

  it.skipIf(!existsSync('/usr/bin/script'))('- on a terminal reads it, and says so on stderr; a pipe is read without a word', () => {
    const r = underTerminal(`'${process.execPath}' '${bin}' lint-mbox --format ndjson - 2>&1; echo "exit=$?"`, '\x04');
    const out = r.stdout.toString();
    expect(out).toContain('smtpdbg: lint-mbox reads an mbox from the terminal (standard input); end it with Ctrl-D');
    expect(out).toContain('exit=0');
    const piped = cli(['--format', 'ndjson'], { input: readFileSync(notspam) });
    expect(piped.stderr).toBe('');
    expect(ndjson(piped.stdout)).toHaveLength(7);
  });
});
