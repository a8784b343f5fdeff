#!/usr/bin/env node
// Precision and recall of `smtpdbg lint-mbox` on real mail, next to Python's
// `email` package (compat32 and policy.default) on the same mutations, as markdown tables:
// - precision: the error-level findings on the shared real-world corpus against their
//   judgements in fixtures/expectations/real-world.tsv (real or false alarm);
// - recall and precision per corruption kind: each kind of test/harness/mutations.mjs applied
//   to the clean real messages of fixtures/expectations/mutation-originals.tsv (a mutant: must
//   be found) and its valid near-miss twin (a finding there is a false alarm). Python counts
//   as finding a mutant when it reports a defect or a header parse failure the original did
//   not have (anywhere in the message: it gives no line).
// Options:
//   --write-expectations  rewrite real-world.tsv (judgements kept, new findings `unjudged`,
//                         findings gone dropped) and mutations.tsv (misses, twin false alarms)
//   --select-originals    choose the clean originals again (with --write-expectations only:
//                         changes every mutation figure; for a changed corpus)
//   --n N                 originals to choose (default 24: half LF, half CRLF)
//   --no-python           smtpdbg only
// Run `npm run build` first. The corpus is found beside the clone or at $SMTPDBG_CORPORA.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EXPECTATIONS,
  formatExpectations,
  lintFiles,
  parseExpectations,
  precisionOf,
  readIndex,
  realWorldDir,
  realWorldFiles,
  splitMbox,
  updateExpectations,
  compareWithExpectations,
} from '../test/harness/lint-corpus.mjs';
import {
  Msg,
  buildCases,
  evaluate,
  formatOriginals,
  formatOutcomes,
  isMutable,
  loadOriginals,
  newRules,
  outcomesOf,
  sha256,
  tally,
  writeCases,
} from '../test/harness/mutations.mjs';
import { argValue, markdownTable, scriptArgs } from './lib.mjs';

const args = scriptArgs(import.meta.url, { valued: ['--n'], flags: ['--write-expectations', '--select-originals', '--no-python'] });
const write = args.includes('--write-expectations');
const select = args.includes('--select-originals');
const usePython = !args.includes('--no-python');
const wanted = Number(argValue(args, '--n', '24'));
if (select && !write) fail('--select-originals needs --write-expectations (it changes the checked-in originals)');
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const corpus = realWorldDir();
if (!existsSync(corpus)) fail(`${corpus} is absent (set SMTPDBG_CORPORA to the folder that holds real-world/)`);
const work = mkdtempSync(join(tmpdir(), 'smtpdbg-lint-corpus-'));

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

// What Python's email package reports per message: compat32 (`c`: defects of every part,
// plus Date, address and encoded-word parse failures through email.utils and email.header,
// that policy's own parsers) and policy.default (`d`: defects of every part and of every
// header the registry parses). Input: JSON [[path, start, end], …], the message's bytes.
const pythonScript = String.raw`
import email, email.header, email.utils, json, sys
from email import policy
ADDRESS = {'from', 'to', 'cc', 'bcc', 'reply-to', 'sender'}
out, data, current = [], None, None
for path, start, end in json.load(sys.stdin):
    if path != current:
        with open(path, 'rb') as f:
            data, current = f.read(), path
    raw = data[start:end]
    c, d = [], []
    try:
        m = email.message_from_bytes(raw)
        for part in m.walk():
            c += [type(x).__name__ for x in part.defects]
        for name, value in m.items():
            lower, value = name.lower(), str(value)
            if lower == 'date' and email.utils.parsedate_tz(value) is None:
                c.append('parse:date')
            if lower in ADDRESS:
                pairs = email.utils.getaddresses([value])
                if not pairs or any('@' not in a for _, a in pairs):
                    c.append('parse:' + lower)
            try:
                email.header.decode_header(value)
            except Exception:
                c.append('parse:encoded-word')
    except Exception as e:
        c.append('exception:' + type(e).__name__)
    try:
        m = email.message_from_bytes(raw, policy=policy.default)
        for part in m.walk():
            d += [type(x).__name__ for x in part.defects]
        for name in sorted(set(k.lower() for k in m.keys())):
            try:
                for h in m.get_all(name) or []:
                    d += [name + ':' + type(x).__name__ for x in getattr(h, 'defects', ())]
            except Exception as e:
                d.append(name + ':exception:' + type(e).__name__)
    except Exception as e:
        d.append('exception:' + type(e).__name__)
    out.append({'c': c, 'd': d})
json.dump(out, sys.stdout)
`;

/** Python's findings for each `[path, start, end]`, in order. */
function runPython(items) {
  const r = spawnSync(python, ['-c', pythonScript], { input: JSON.stringify(items), maxBuffer: 1 << 28, timeout: 600_000 });
  if (r.status !== 0) throw new Error(`python3 exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.toString());
}

const pythonVersion = () => spawnSync(python, ['-c', 'import sys; print(sys.version.split()[0])']).stdout.toString().trim();
const pct = (num, den) => (den ? `${((100 * num) / den).toFixed(1)}%` : '—');
const share = (num, den) => `${num}/${den} (${pct(num, den)})`;

// --- Precision on the corpus -----------------------------------------------------------
const files = realWorldFiles(corpus);
const errors = lintFiles(corpus, files, { minSeverity: 'error' });
let rows = existsSync(EXPECTATIONS.realWorld) ? parseExpectations(readFileSync(EXPECTATIONS.realWorld, 'utf8')) : [];
if (write) {
  const update = updateExpectations(errors, rows);
  rows = update.rows;
  const p = precisionOf(rows);
  writeFileSync(
    EXPECTATIONS.realWorld,
    formatExpectations(rows, [
      'Every error-level finding of `smtpdbg lint-mbox` on the shared real-world corpus (one row each), judged',
      'by reading the message bytes against RFC 5322, 5321, 2045-2047 and 4155 (mbox):',
      '  real         the finding states a true defect of those bytes',
      '  false-alarm  the bytes are valid, or the finding misnames them: counted against precision',
      '  unjudged     new since the last judgement: real-world-precision.test.ts fails until a person',
      '               replaces it with real or false-alarm and writes the reason',
      'Regenerate: npm run build && node bench/lint-corpus.mjs --write-expectations',
      '(keeps the judgement of a finding that still fires, adds new findings as unjudged, drops the rest).',
      'Columns: file, message and line (1-based, in the file), rule, judgement, reason, and the line as',
      'lint-mbox shows it (cut at 160 characters; not compared).',
      `Precision: ${p.real} real / (${p.real} + ${p.falseAlarms} false alarms) = ${pct(p.real, p.real + p.falseAlarms)}; ${p.unjudged} unjudged; ${p.findings} findings in ${p.messages} messages.`,
    ]),
  );
  console.error(`${EXPECTATIONS.realWorld}: ${rows.length} rows, ${update.added.length} new (unjudged), ${update.removed.length} dropped`);
  for (const r of update.removed) console.error(`  dropped (no longer fires): ${r.file}:${r.message}:${r.line} ${r.rule} — was ${r.judgement}: ${r.reason}`);
  for (const r of update.added) console.error(`  new, unjudged: ${r.file}:${r.message}:${r.line} ${r.rule} — ${r.text}`);
} else {
  const { unlisted, gone } = compareWithExpectations(errors, rows);
  if (unlisted.length || gone.length) {
    console.error(`real-world.tsv is out of date (${unlisted.length} findings not listed, ${gone.length} listed that no longer fire): the precision below counts only listed findings; run with --write-expectations`);
  }
}
const judged = precisionOf(rows);

// --- Originals ------------------------------------------------------------------------
let originals;
if (select) {
  originals = selectOriginals(wanted);
  writeFileSync(
    EXPECTATIONS.originals,
    formatOriginals(originals, [
      'Clean real messages of the shared real-world corpus that mutation-recall.test.ts and',
      'bench/lint-corpus.mjs damage (one kind at a time), by file, message number, byte offset and',
      'length of the whole message (From_ line to the next), with a hash of those bytes.',
      'Clean: every field the kinds need present once, no finding of any severity from lint-mbox,',
      "no defect from Python's email (compat32 and policy.default); chosen round-robin over the",
      'origins (INDEX.tsv), half LF and half CRLF, in a fixed pseudo-random order.',
      'Regenerate (changes every mutation figure): node bench/lint-corpus.mjs --write-expectations --select-originals',
    ]),
  );
  console.error(`${EXPECTATIONS.originals}: ${originals.length} originals`);
}
originals = loadOriginals(readFileSync(EXPECTATIONS.originals, 'utf8'), corpus);

/**
 * Candidates: messages of files wrapped per message (INDEX.tsv names each one's origin) with
 * an ASCII header and one line-end convention, that isMutable accepts; then linted one per
 * file, and given to Python; the clean ones are chosen round-robin over origins.
 */
function selectOriginals(n) {
  const index = readIndex(corpus);
  const candidates = [];
  for (const file of files) {
    if (index.has(`${file}:*`)) continue;
    const bytes = readFileSync(join(corpus, file));
    splitMbox(bytes).forEach(({ start, end }, i) => {
      const origin = index.get(`${file}:${i + 1}`);
      const message = bytes.subarray(start, end);
      if (!origin || message.length > 12_000) return;
      const msg = Msg.parse(message);
      const header = msg.lines.slice(0, msg.headerEnd());
      if (header.some((l) => /[^\t\x20-\x7e]/.test(l.text))) return;
      const eols = new Set(msg.lines.slice(0, -1).map((l) => l.eol));
      if (eols.size !== 1 || !isMutable(msg)) return;
      candidates.push({ file, message: i + 1, offset: start, length: end - start, bytes: message, eol: eols.has('\r\n') ? 'crlf' : 'lf', origin: `${origin.repo}:${origin.path}` });
    });
  }
  const dir = join(work, 'candidates');
  writeCases(
    dir,
    candidates.map((c, i) => ({ file: `c${i}.mbox`, bytes: c.bytes })),
  );
  const flagged = new Set(lintFiles(dir, candidates.map((_, i) => `c${i}.mbox`)).map((f) => f.file));
  let clean = candidates.filter((_, i) => !flagged.has(`c${i}.mbox`));
  if (usePython) {
    const py = runPython(clean.map((c) => [join(corpus, c.file), c.offset + c.bytes.indexOf(0x0a) + 1, c.offset + c.length]));
    clean = clean.filter((_, i) => py[i].c.length === 0 && py[i].d.length === 0);
  }
  const chosen = [];
  for (const eol of ['lf', 'crlf']) {
    const groups = new Map();
    for (const c of clean.filter((x) => x.eol === eol).sort((a, b) => (sha256(`${a.file}:${a.message}`) < sha256(`${b.file}:${b.message}`) ? -1 : 1))) {
      const repo = c.origin.split(':')[0];
      if (!groups.has(repo)) groups.set(repo, []);
      groups.get(repo).push(c);
    }
    const queues = [...groups.keys()].sort().map((k) => groups.get(k));
    const want = eol === 'lf' ? Math.ceil(n / 2) : Math.floor(n / 2);
    const got = [];
    while (got.length < want && queues.some((q) => q.length)) for (const q of queues) if (q.length && got.length < want) got.push(q.shift());
    console.error(`${eol}: ${clean.filter((x) => x.eol === eol).length} clean candidates of ${candidates.filter((x) => x.eol === eol).length}; chose ${got.length}`);
    chosen.push(...got);
  }
  return chosen.map((c, i) => ({ ...c, id: `o${String(i + 1).padStart(2, '0')}`, sha256: sha256(c.bytes) }));
}

// --- Mutations --------------------------------------------------------------------------
const cases = buildCases(originals);
const caseDir = join(work, 'cases');
writeCases(caseDir, cases);
const results = evaluate(cases, lintFiles(caseDir, cases.map((c) => c.file)));
const tallies = tally(results);
if (write) {
  const outcomes = outcomesOf(results);
  writeFileSync(
    EXPECTATIONS.mutations,
    formatOutcomes(outcomes, [
      'What lint-mbox misses among the mutants of test/harness/mutations.mjs (each kind applied to each',
      'original of mutation-originals.tsv), and which valid twins it flags: mutation-recall.test.ts',
      'fails when this list is not exactly what lint-mbox does (a new miss, or a listed one now found).',
      'Regenerate: npm run build && node bench/lint-corpus.mjs --write-expectations',
      'Per kind: found / mutants, twins flagged / twins.',
      ...tallies.map((t) => `  ${t.kind.id.padEnd(32)} ${String(t.detected).padStart(2)}/${t.mutants}  ${t.falseAlarms}/${t.twins}`),
    ]),
  );
  console.error(`${EXPECTATIONS.mutations}: ${outcomes.length} rows`);
}

// Python on the same cases, and on the whole corpus for scale.
let py;
let pyCorpus;
if (usePython) {
  const answers = runPython(cases.map((c) => [join(caseDir, c.file), ...c.range]));
  const byCase = new Map(cases.map((c, i) => [c, answers[i]]));
  const originalOf = new Map(cases.filter((c) => c.role === 'original').map((c) => [c.original, byCase.get(c)]));
  py = {};
  for (const policy of ['c', 'd']) {
    const t = new Map(tallies.map((x) => [x.kind.id, { detected: 0, falseAlarms: 0 }]));
    for (const c of cases) {
      if (c.role === 'original') continue;
      const extra = newRules(byCase.get(c)[policy], originalOf.get(c.original)[policy]);
      if (extra.length) t.get(c.kind)[c.role === 'mutant' ? 'detected' : 'falseAlarms']++;
    }
    py[policy] = t;
  }
  const items = [];
  for (const file of files) {
    const bytes = readFileSync(join(corpus, file));
    for (const { start, end } of splitMbox(bytes)) items.push([join(corpus, file), start + bytes.subarray(start, end).indexOf(0x0a) + 1, end]);
  }
  const answersCorpus = runPython(items);
  pyCorpus = { messages: items.length, c: answersCorpus.filter((a) => a.c.length).length, d: answersCorpus.filter((a) => a.d.length).length };
}
rmSync(work, { recursive: true, force: true });

// --- Tables -----------------------------------------------------------------------------
const errorMessages = new Set(errors.map((f) => `${f.file}:${f.message}`)).size;
console.log(`real-world corpus: ${files.length} files${pyCorpus ? `, ${pyCorpus.messages} messages (split at "From " after an empty line); Python ${pythonVersion()}` : ''}\n`);
console.log(
  markdownTable(
    ['on the real-world corpus', 'smtpdbg lint-mbox', "Python email compat32", 'Python email policy.default'],
    [
      [
        'precision: error-level findings judged real / judged',
        `${share(judged.real, judged.real + judged.falseAlarms)}${judged.unjudged ? `, ${judged.unjudged} unjudged` : ''}`,
        'not judged',
        'not judged',
      ],
      ['messages with a false alarm', `${judged.falseAlarmMessages}`, '', ''],
      ['messages flagged (error level for smtpdbg; any defect for Python)', `${errorMessages}`, pyCorpus ? `${pyCorpus.c}` : '—', pyCorpus ? `${pyCorpus.d}` : '—'],
    ],
  ),
);
const originalsLf = originals.filter((o) => o.eol === 'lf').length;
console.log(
  `\nMutations: ${originals.length} clean real messages (${originalsLf} LF, ${originals.length - originalsLf} CRLF; CRLF-only kinds use those) × ${tallies.length} kinds; ` +
    'recall = mutants found / mutants (smtpdbg: a rule of the kind on the damaged line; Python: a new defect or parse failure anywhere); ' +
    'precision = found / (found + valid twins flagged).\n',
);
const cellOf = (detected, falseAlarms, n) => `${share(detected, n)} · ${pct(detected, detected + falseAlarms)}`;
const total = { n: 0, s: [0, 0], c: [0, 0], d: [0, 0] };
const tableRows = tallies.map((t) => {
  total.n += t.mutants;
  total.s[0] += t.detected;
  total.s[1] += t.falseAlarms;
  const row = [`\`${t.kind.id}\`: ${t.kind.title}`, t.kind.expect.map((r) => `\`${r}\``).join(', '), cellOf(t.detected, t.falseAlarms, t.mutants)];
  for (const p of ['c', 'd']) {
    if (!py) continue;
    const x = py[p].get(t.kind.id);
    total[p][0] += x.detected;
    total[p][1] += x.falseAlarms;
    row.push(cellOf(x.detected, x.falseAlarms, t.mutants));
  }
  return row;
});
tableRows.push(['**all kinds**', '', cellOf(total.s[0], total.s[1], total.n), ...(py ? [cellOf(total.c[0], total.c[1], total.n), cellOf(total.d[0], total.d[1], total.n)] : [])]);
const escapeCells = (rows) => rows.map((r) => r.map((c) => String(c).replace(/\|/g, '\\|')));
console.log(markdownTable(['kind', 'smtpdbg rules', 'smtpdbg recall · precision', ...(py ? ['compat32 recall · precision', 'policy.default recall · precision'] : [])], escapeCells(tableRows)));
if (judged.unjudged) console.log(`\n${judged.unjudged} findings of real-world.tsv are unjudged: judge them (real or false-alarm, with a reason) before quoting the precision.`);
