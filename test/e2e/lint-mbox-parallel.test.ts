import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { longLineMbox, prng } from '../unit/mbox/helpers.js';

/**
 * Big files are linted in ranges by worker threads (--jobs). Whatever the ranges, the
 * output must be byte for byte that of the sequential scan: these runs force tiny ranges
 * (SMTPDBG_LINT_RANGE_BYTES) and early range ends (SMTPDBG_LINT_HELD_FINDINGS) on every
 * fixture and corpus message put together, and on mutated copies of them.
 */
const root = join(import.meta.dirname, '../..');
const corpora = process.env.SMTPDBG_CORPORA || join(root, '../shared/corpora');
let tmp: string;
let combined: string;
let crlf: string;
const mutated: string[] = [];

/**
 * Runs the built CLI with its standard output in a file: worker threads write only to a
 * file, pipe or terminal (spawnSync would give them a socket, and lint-mbox then keeps to
 * one thread).
 */
function run(args: string[], env: Record<string, string | undefined> = {}) {
  const outPath = join(tmp, `out-${runs++}`);
  const out = openSync(outPath, 'w');
  try {
    const r = spawnSync(process.execPath, [join(root, 'bin/smtpdbg.js'), 'lint-mbox', ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...env },
      stdio: ['ignore', out, 'pipe'],
      timeout: 60_000,
    });
    return { status: r.status, stdout: readFileSync(outPath), stderr: r.stderr.toString() };
  } finally {
    closeSync(out);
    rmSync(outPath);
  }
}
let runs = 0;

const parallel = (ranges: number, held?: number) => ({ SMTPDBG_LINT_RANGE_BYTES: String(ranges), SMTPDBG_LINT_HELD_FINDINGS: held === undefined ? undefined : String(held) });

function* walk(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile() && !/(LICENSE|NOTICE|README|SOURCES|\.json$)/.test(entry.name)) yield path;
  }
}

/** Every fixture and corpus file as one mbox; single messages get a From_ line. */
function combine(): Buffer {
  const parts: Buffer[] = [];
  for (const path of [...walk(join(root, 'fixtures/mbox')), ...walk(corpora)].sort()) {
    let bytes = readFileSync(path);
    if (!bytes.subarray(0, 5).equals(Buffer.from('From '))) bytes = Buffer.concat([Buffer.from('From test@example.org Mon Jan  1 00:00:00 2024\n'), bytes]);
    parts.push(bytes, Buffer.from(bytes[bytes.length - 1] === 10 ? '\n' : '\n\n'));
  }
  return Buffer.concat(parts);
}

/** Deterministic damage: bytes flipped to CR, LF, NUL or "From " inserted, pieces dropped. */
function mutate(bytes: Buffer, seed: number): Buffer {
  let state = seed;
  const rand = (n: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state % n;
  };
  const out: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const step = 1 + rand(4000);
    out.push(bytes.subarray(at, at + step));
    at += step;
    const inserts = ['\r', '\n', '\0', '\nFrom ', '\nFrom x Mon Jan  1 00:00:00 2024\n', '\n\n', ''];
    const pick = rand(inserts.length + 1);
    if (pick < inserts.length) out.push(Buffer.from(inserts[pick]!));
    else at += rand(200);
  }
  return Buffer.concat(out);
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'smtpdbg-parallel-'));
  const bytes = combine();
  combined = join(tmp, 'combined.mbox');
  writeFileSync(combined, bytes);
  crlf = join(tmp, 'crlf.mbox');
  writeFileSync(crlf, Buffer.from(bytes.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1'));
  for (const seed of [1, 2, 3]) {
    const path = join(tmp, `mutated-${seed}.mbox`);
    writeFileSync(path, mutate(bytes, seed));
    mutated.push(path);
  }
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('lint-mbox --jobs: worker threads over ranges, the same bytes as one scan', () => {
  it('the combined fixtures and corpora are big enough to be cut into many ranges', () => {
    expect(statSync(combined).size).toBeGreaterThan(1_000_000);
  });

  it.each(['ndjson', 'text', 'json'])('--format %s: identical output and exit code, ranges of 3000 bytes', (format) => {
    const sequential = run(['--jobs', '1', '--format', format, combined]);
    const ranged = run(['--jobs', '2', '--format', format, combined], parallel(3000));
    expect(sequential.status).toBe(1);
    expect(ranged.stderr).toBe('');
    expect(ranged.status).toBe(sequential.status);
    expect(ranged.stdout.equals(sequential.stdout)).toBe(true);
    expect(sequential.stdout.length).toBeGreaterThan(100_000);
  });

  it('ranges of many messages, whose output turns come while the other ranges are scanned', () => {
    // Eight copies: ranges of 256 KiB hold hundreds of messages each, so a worker is nearly
    // always scanning when its turn to write comes, and writes between two messages.
    const big = join(tmp, 'eight.mbox');
    writeFileSync(big, Buffer.concat(Array.from({ length: 8 }, () => readFileSync(combined))));
    const sequential = run(['--jobs', '1', '--format', 'ndjson', big]);
    const ranged = run(['--jobs', '2', '--format', 'ndjson', big], parallel(256 << 10));
    expect(ranged.stderr).toBe('');
    expect(ranged.status).toBe(sequential.status);
    expect(ranged.stdout.equals(sequential.stdout)).toBe(true);
    rmSync(big);
  });

  it('ranges that end early because they hold too many findings, with three workers', () => {
    const sequential = run(['--jobs', '1', '--format', 'ndjson', combined]);
    const ranged = run(['--jobs', '3', '--format', 'ndjson', combined], parallel(20_000, 4));
    expect(ranged.stderr).toBe('');
    expect(ranged.stdout.equals(sequential.stdout)).toBe(true);
  });

  it('coloured text (FORCE_COLOR) is coloured the same way by the workers', () => {
    const sequential = run(['--jobs', '1', combined], { FORCE_COLOR: '1', NO_COLOR: undefined });
    const ranged = run(['--jobs', '2', combined], { FORCE_COLOR: '1', NO_COLOR: undefined, ...parallel(5000) });
    expect(sequential.stdout.toString()).toContain('\x1b[');
    expect(ranged.stdout.equals(sequential.stdout)).toBe(true);
  });

  it('CRLF files and damaged files give the same findings whatever the ranges', () => {
    for (const file of [crlf, ...mutated]) {
      const sequential = run(['--jobs', '1', '--format', 'ndjson', file]);
      for (const [size, held] of [
        [1000, undefined],
        [7777, 2],
      ] as const) {
        const ranged = run(['--jobs', '2', '--format', 'ndjson', file], parallel(size, held));
        expect(ranged.stderr, `${file} ranges ${size}`).toBe('');
        expect(ranged.stdout.equals(sequential.stdout), `${file} ranges ${size} held ${held}`).toBe(true);
      }
    }
    // About 20 runs of the CLI: on a busy 2-core machine that takes longer than the default 30 s.
  }, 120_000);

  it.each([11, 12, 13])('long lines (random, seed %i): one thread and the workers report the same lengths', (seed) => {
    // Lines around and far past the 64 KiB a line keeps, cut by 64 KiB reads on one thread
    // and by random small ranges in the workers (200,000 octets were once read as 114,037).
    const file = join(tmp, `long-${seed}.mbox`);
    const bytes = longLineMbox(seed, 30);
    writeFileSync(file, bytes);
    const sequential = run(['--jobs', '1', '--format', 'ndjson', file]);
    const lengths = [...sequential.stdout.toString().matchAll(/… \((\d+) octets\)/g)].map((m) => Number(m[1]));
    expect(lengths.some((n) => n > 65_536)).toBe(true);
    const rand = prng(seed);
    for (let round = 0; round < 2; round++) {
      const size = 2000 + Math.floor(rand() * 300_000);
      const ranged = run(['--jobs', '2', '--format', 'ndjson', file], parallel(size));
      expect(ranged.stderr).toBe('');
      expect(ranged.stdout.toString(), `ranges of ${size}`).toBe(sequential.stdout.toString());
    }
    rmSync(file);
  });

  it('a 200,000-octet unescaped From line after the first MiB is 200,000 octets on one thread and in the workers', () => {
    const file = join(tmp, 'from-200k.mbox');
    const message = (n: number, body: string) => `From a@example.org Fri Sep  8 17:44:32 2017\nDate: Fri, 8 Sep 2017 13:44:32 -0400\nFrom: a@example.org\nMessage-ID: <${n}@x>\n\n${body}\n`;
    const filler = Array.from({ length: 2000 }, (_, n) => message(n, 'hello\n'.repeat(100))).join('');
    writeFileSync(file, `${filler}${message(2000, `line\nFrom ${'x'.repeat(199_995)}\nafter\n`)}`);
    for (const [args, env] of [[['--jobs', '1'], {}], [['--jobs', '2'], parallel(100_000)]] as const) {
      const r = run([...args, '--format', 'ndjson', file], env);
      const findings = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ rule: 'unescaped-from', severity: 'warning', message: 2001, line: 2000 * 106 + 7 });
      expect(findings[0].text).toMatch(/… \(200000 octets\)$/);
      expect(r.status).toBe(0);
    }
    rmSync(file);
  });

  it('several files, big and small, keep their order and their summary', () => {
    const small = join(root, 'fixtures/mbox/notspam');
    const sequential = run(['--jobs', '1', small, combined, small]);
    const ranged = run(['--jobs', '2', small, combined, small], parallel(4096));
    expect(ranged.stdout.equals(sequential.stdout)).toBe(true);
    // The variant is the fixtures' (the first MiB holds all of them): mboxrd, since some escape ">>From ".
    expect(ranged.stdout.toString()).toMatch(/combined\.mbox: mbox\w+, LF line endings, \d+ messages/);
  });

  it('a closed pipe (| head) ends the run quietly', () => {
    const command = `'${process.execPath}' '${join(root, 'bin/smtpdbg.js')}' lint-mbox --jobs 2 --format ndjson '${combined}' | head -n 1`;
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', command], { env: { ...process.env, ...parallel(2000) }, timeout: 60_000 });
    expect(JSON.parse(r.stdout.toString())).toHaveProperty('rule');
    expect(r.stderr.toString()).toBe('');
    // With pipefail the pipeline's status is lint-mbox's: it found problems (1) or stopped quietly (0).
    expect([0, 1]).toContain(r.status);
  });

  it('workers started before the command line is read do not outlive a run that does not take them', () => {
    // A big file on the command line starts the workers early (bin/smtpdbg.js); a socket as
    // standard output, or a bad option, then keeps the run to one thread or ends it.
    const sequential = run(['--jobs', '1', '--format', 'ndjson', combined]);
    const started = Date.now();
    const socketed = spawnSync(process.execPath, [join(root, 'bin/smtpdbg.js'), 'lint-mbox', '--jobs', '2', '--format', 'ndjson', combined], {
      env: { ...process.env, ...parallel(4096) },
      timeout: 60_000,
      maxBuffer: 1 << 30,
    });
    expect(socketed.status).toBe(1);
    expect(socketed.stdout.equals(sequential.stdout)).toBe(true);
    const bad = run(['--jobs', '2', '--format', 'yaml', combined], parallel(4096));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("argument 'yaml' is invalid");
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('--jobs must be a whole number above 0', () => {
    const r = run(['--jobs', '0', combined]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--jobs 0: expected a whole number, 1 to 64');
    expect(r.stdout.length).toBe(0);
  });
});
