import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintChunks, lintMbox, lintMessage, type Finding } from '../../../src/mbox/index.js';

/** The shared real-world corpora, read in place (see ../shared/corpora/README.md). */
const corpora = process.env.SMTPDBG_CORPORA || join(import.meta.dirname, '../../../../shared/corpora');
const present = existsSync(corpora);
if (!present) console.warn(`skipping corpus tests: ${corpora} is absent`);

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile() && !/(LICENSE|NOTICE|SOURCES|README)/.test(entry.name)) yield path;
  }
}

const read = (path: string) => readFileSync(join(corpora, path));
const rules = (findings: Finding[]) => findings.map((f) => f.rule);

describe.skipIf(!present)('real corpora', () => {
  it('every file lints as an mbox and as a single message without throwing, whole and cut', () => {
    let files = 0;
    for (const path of walk(corpora)) {
      const bytes = readFileSync(path);
      const whole = lintMbox(bytes, relative(corpora, path));
      expect(lintChunks([bytes.subarray(0, 1000), bytes.subarray(1000, 5000), bytes.subarray(5000)], relative(corpora, path), { sniffBytes: 100 }).findings.length).toBeGreaterThanOrEqual(0);
      expect(whole.messages.length).toBeGreaterThan(0);
      expect(() => lintMessage(bytes)).not.toThrow();
      files++;
    }
    expect(files).toBeGreaterThan(200);
    expect(statSync(corpora).isDirectory()).toBe(true);
  });

  it('james-mime4j mixed-newlines.msg: the bare CR after X-Header2', () => {
    const bytes = read('james-mime4j/history-27306155/src/test/resources/testmsgs/mixed-newlines.msg');
    const cr = lintMessage(bytes).find((f) => f.rule === 'bare-cr');
    expect(cr).toMatchObject({ line: 2, offset: bytes.indexOf('\rX-Header3') });
    expect(cr!.text).toContain('CR␍X-Header3');
  });

  it('spamassassin spam/008: the `From  :<` line inside the header', () => {
    const bytes = read('spamassassin/t/data/spam/008');
    const { findings, messages } = lintMbox(bytes);
    expect(messages).toHaveLength(1);
    expect(findings.find((f) => f.rule === 'envelope-in-header')).toMatchObject({ line: 7, offset: bytes.indexOf('From  :<') });
    expect(rules(findings)).toContain('date-zone');
  });

  it('notmuch broken-cc: Cc and cc in one header', () => {
    const dup = lintMessage(read('notmuch/test/corpora/broken/broken-cc')).filter((f) => f.rule === 'duplicate-field');
    expect(dup).toHaveLength(1);
    expect(dup[0]!.text).toBe('cc: Charles <charles@example.org>␊');
  });

  it('perl Mail-Box mbox.src: non-asctime From_ lines, Content-Length that all match', () => {
    const { findings, messages, variant, eol } = lintMbox(read('perl5-Mail-Box/t/folders/mbox.src'));
    expect(messages).toHaveLength(45);
    expect(variant).toBe('mboxcl2');
    expect(eol).toBe('lf');
    expect(rules(findings).filter((r) => r === 'from-date-nonstandard').length).toBeGreaterThan(20);
    expect(rules(findings)).not.toContain('content-length-mismatch');
  });

  it('perl Mail-Box mbox.win: the CRLF copy is detected as CRLF with the same messages', () => {
    const win = lintMbox(read('perl5-Mail-Box/t/folders/mbox.win'));
    expect(win.eol).toBe('crlf');
    expect(win.messages).toHaveLength(45);
    expect(rules(win.findings)).not.toContain('bare-lf');
    expect(rules(win.findings)).not.toContain('eol-mixed');
  });

  it('cpython msg_*.txt: missing separators, duplicate singletons, missing Date/From are found', () => {
    const dir = 'cpython-via-RustPython/Lib/test/test_email/data';
    const all = new Set<string>();
    for (const name of readdirSync(join(corpora, dir))) for (const f of lintMessage(read(join(dir, name)))) all.add(f.rule);
    expect([...all]).toEqual(expect.arrayContaining(['missing-date', 'missing-from', 'duplicate-field', 'no-body-separator']));
  });

  it('james-mime4j testmsgs: whitespace before colon, long header line, malformed headers', () => {
    const dir = 'james-mime4j/core/src/test/resources/testmsgs';
    const all = new Set<string>();
    for (const name of readdirSync(join(corpora, dir))) for (const f of lintMessage(read(join(dir, name)))) all.add(f.rule);
    expect([...all]).toEqual(expect.arrayContaining(['line-too-long', 'no-body-separator', 'space-before-colon', 'blank-continuation', 'invalid-field-name']));
  });

  it('james-mime4j mimetools 2002_06_12_doublebound.msg: the Content-Length mismatch', () => {
    const rulesFound = rules(lintMessage(read('james-mime4j/core/src/test/resources/mimetools-testmsgs/2002_06_12_doublebound.msg')));
    expect(rulesFound).toContain('content-length-mismatch');
  });
});
