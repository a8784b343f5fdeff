// The measuring instruments of lint-mbox on real mail, shared by the precision and
// mutation-recall tests (test/unit/mbox/) and by bench/lint-corpus.mjs, which regenerates
// their expectation files. Plain JavaScript (with lint-corpus.d.mts beside it) so that the
// benchmark script runs it with node alone.
//
// Findings come from the built command line (`lint-mbox --format ndjson`), as a user gets
// them: the ndjson fields are the interface, not the linter's internals.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(REPO_ROOT, 'bin/smtpdbg.js');
const BUILT_MAIN = join(REPO_ROOT, 'dist/cli/main.js');

/**
 * The shared corpora: in `shared/corpora` beside the clone (as CI lays it out), or where
 * SMTPDBG_CORPORA points (a checkout elsewhere, e.g. a git worktree).
 */
export function corporaDir() {
  return process.env.SMTPDBG_CORPORA || join(REPO_ROOT, '../shared/corpora');
}

export function realWorldDir() {
  return join(corporaDir(), 'real-world');
}

/** The mbox files of the real-world corpus, sorted by name. */
export function realWorldFiles(dir = realWorldDir()) {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.mbox'))
    .sort();
}

/**
 * Runs `smtpdbg lint-mbox --format ndjson` over `files` (names relative to `cwd`, which is
 * how they appear in the findings) and returns the findings. One thread, so that the run
 * does not depend on the machine's cores.
 */
export function lintFiles(cwd, files, { minSeverity = 'info' } = {}) {
  if (!existsSync(BUILT_MAIN)) throw new Error(`${BUILT_MAIN} is missing: run \`npm run build\` first`);
  const r = spawnSync(process.execPath, [BIN, 'lint-mbox', '--jobs', '1', '--format', 'ndjson', '--min-severity', minSeverity, '--', ...files], {
    cwd,
    maxBuffer: 1 << 28,
    timeout: 120_000,
    env: { ...process.env, FORCE_COLOR: undefined },
  });
  if (r.error) throw r.error;
  // 0: no error-level finding; 1: findings. Anything else is a failure to lint.
  if (r.status !== 0 && r.status !== 1) throw new Error(`lint-mbox exited ${r.status}: ${r.stderr.toString().trim()}`);
  const text = r.stdout.toString('utf8');
  return text === '' ? [] : text.trimEnd().split('\n').map((line) => JSON.parse(line));
}

/** Byte ranges of the messages of an mbox, split as mboxo readers do: at "From " after an empty line. */
export function splitMbox(bytes) {
  const starts = [];
  let lineStart = 0;
  let previousEmpty = true;
  while (lineStart < bytes.length) {
    const nl = bytes.indexOf(0x0a, lineStart);
    const end = nl < 0 ? bytes.length : nl + 1;
    if (previousEmpty && bytes[lineStart] === 0x46 && bytes.subarray(lineStart, lineStart + 5).toString('latin1') === 'From ') starts.push(lineStart);
    const length = end - lineStart - (nl < 0 ? 0 : 1) - (nl > lineStart && bytes[nl - 1] === 0x0d ? 1 : 0);
    previousEmpty = length === 0;
    lineStart = end;
  }
  return starts.map((start, i) => ({ start, end: starts[i + 1] ?? bytes.length }));
}

/** INDEX.tsv: origin (repository, commit, path) of each message, by `file:message`; files copied whole are `file:*`. */
export function readIndex(dir = realWorldDir()) {
  const index = new Map();
  const lines = readFileSync(join(dir, 'INDEX.tsv'), 'utf8').trimEnd().split('\n').slice(1);
  for (const line of lines) {
    const [file, message, repo, commit, path] = line.split('\t');
    index.set(`${file}:${message}`, { repo, commit, path });
  }
  return index;
}

/** The bytes of line `line` (1-based, LF-terminated lines) of `bytes`, with its line end. */
export function lineAt(bytes, line) {
  let start = 0;
  for (let n = 1; n < line && start >= 0; n++) {
    const nl = bytes.indexOf(0x0a, start);
    start = nl < 0 ? -1 : nl + 1;
  }
  if (start < 0 || start >= bytes.length) return Buffer.alloc(0);
  const nl = bytes.indexOf(0x0a, start);
  return bytes.subarray(start, nl < 0 ? bytes.length : nl + 1);
}

/** Bytes as a JSON-style string literal (CR, LF, NUL, 8-bit visible as escapes), cut at `max` characters. */
export function showBytes(bytes, max = 400) {
  const s = JSON.stringify(Buffer.from(bytes).toString('latin1')).replace(/[\u0080-\u00ff]/g, (c) => `\\x${c.charCodeAt(0).toString(16)}`);
  return s.length > max ? `${s.slice(0, max)}…"` : s;
}

// ---------------------------------------------------------------------------------------
// The precision expectations: every error-level finding on the real-world corpus, judged.

export const Judgement = { real: 'real', falseAlarm: 'false-alarm', unjudged: 'unjudged' };
const judgements = new Set(Object.values(Judgement));
export const EXPECTATIONS_COLUMNS = ['file', 'message', 'line', 'rule', 'judgement', 'reason', 'text'];

const cell = (s) => String(s).replace(/[\t\r\n]/g, ' ');

/** Parses the expectations TSV; `#` lines are comments. Throws on a malformed row, naming its line. */
export function parseExpectations(text) {
  const rows = [];
  let header;
  text.split('\n').forEach((raw, i) => {
    if (raw === '' || raw.startsWith('#')) return;
    const cells = raw.split('\t');
    if (!header) {
      if (cells.join('\t') !== EXPECTATIONS_COLUMNS.join('\t')) throw new Error(`line ${i + 1}: expected the header ${EXPECTATIONS_COLUMNS.join(' ')}`);
      header = cells;
      return;
    }
    if (cells.length !== EXPECTATIONS_COLUMNS.length) throw new Error(`line ${i + 1}: ${cells.length} cells, expected ${EXPECTATIONS_COLUMNS.length}`);
    const [file, message, line, rule, judgement, reason, text] = cells;
    if (!judgements.has(judgement)) throw new Error(`line ${i + 1}: judgement "${judgement}" is not one of ${[...judgements].join(', ')}`);
    rows.push({ file, message: Number(message), line: Number(line), rule, judgement, reason, text, at: i + 1 });
  });
  return rows;
}

const rowKey = (r) => `${r.file}\t${r.message}\t${r.line}\t${r.rule}`;
const placeKey = (r) => `${r.file}\t${r.line}\t${r.rule}`;

/** Findings sorted as the file lists them: by file, line, rule. */
function byPlace(a, b) {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0);
}

/**
 * Matches findings against rows (each row matches one finding with the same file, message,
 * line and rule). Returns the findings no row lists, the rows no finding matches, and the
 * rows still `unjudged`.
 */
export function compareWithExpectations(findings, rows) {
  const open = new Map();
  for (const r of rows) {
    const k = rowKey(r);
    if (!open.has(k)) open.set(k, []);
    open.get(k).push(r);
  }
  const unlisted = [];
  for (const f of findings) {
    const list = open.get(rowKey(f));
    if (list && list.length > 0) list.shift();
    else unlisted.push(f);
  }
  const gone = [...open.values()].flat().sort((a, b) => a.at - b.at);
  return { unlisted: unlisted.sort(byPlace), gone, unjudged: rows.filter((r) => r.judgement === Judgement.unjudged) };
}

/**
 * The rows for `findings`: a finding listed before keeps its judgement and reason (matched by
 * file, message, line and rule, or else by file, line and rule when only the message number
 * moved); a new one is `unjudged`. Returns the rows and what changed.
 */
export function updateExpectations(findings, rows) {
  const exact = new Map();
  const moved = new Map();
  for (const r of rows) {
    for (const [map, k] of [
      [exact, rowKey(r)],
      [moved, placeKey(r)],
    ]) {
      if (!map.has(k)) map.set(k, []);
      map.get(k).push(r);
    }
  }
  const used = new Set();
  const take = (list) => {
    const r = list?.find((x) => !used.has(x));
    if (r) used.add(r);
    return r;
  };
  const next = [];
  const added = [];
  for (const f of [...findings].sort(byPlace)) {
    const old = take(exact.get(rowKey(f))) ?? take(moved.get(placeKey(f)));
    const row = {
      file: f.file,
      message: f.message,
      line: f.line,
      rule: f.rule,
      judgement: old?.judgement ?? Judgement.unjudged,
      reason: old?.reason ?? '',
      text: cell(f.text).slice(0, 160),
    };
    if (!old) added.push(row);
    next.push(row);
  }
  return { rows: next, added, removed: rows.filter((r) => !used.has(r)) };
}

export function formatExpectations(rows, preamble) {
  const lines = [...preamble.map((l) => `# ${l}`.trimEnd()), EXPECTATIONS_COLUMNS.join('\t')];
  for (const r of rows) lines.push([r.file, r.message, r.line, r.rule, r.judgement, cell(r.reason), cell(r.text)].join('\t'));
  return `${lines.join('\n')}\n`;
}

/** Counts by judgement, and precision = real / (real + false alarms) over judged rows. */
export function precisionOf(rows) {
  const count = (j) => rows.filter((r) => r.judgement === j).length;
  const real = count(Judgement.real);
  const falseAlarms = count(Judgement.falseAlarm);
  const unjudged = count(Judgement.unjudged);
  const messages = new Set(rows.map((r) => `${r.file}:${r.message}`)).size;
  const falseAlarmMessages = new Set(rows.filter((r) => r.judgement === Judgement.falseAlarm).map((r) => `${r.file}:${r.message}`)).size;
  return { findings: rows.length, real, falseAlarms, unjudged, precision: real + falseAlarms ? real / (real + falseAlarms) : 1, messages, falseAlarmMessages };
}

/** One finding as the tests print it: place, rule, what the user sees and the raw bytes of its line. */
export function describeFinding(f, bytes) {
  const raw = bytes ? ` bytes ${showBytes(lineAt(bytes, f.line))}` : '';
  return `${f.file}:${f.message}:${f.line} ${f.rule} (${f.severity}) ${f.detail ?? ''} — ${f.text}${raw}`;
}

/** The checked-in expectation files. */
export const EXPECTATIONS = {
  realWorld: join(REPO_ROOT, 'fixtures/expectations/real-world.tsv'),
  originals: join(REPO_ROOT, 'fixtures/expectations/mutation-originals.tsv'),
  mutations: join(REPO_ROOT, 'fixtures/expectations/mutations.tsv'),
};
