import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintChunks, lintMbox, lintMessage } from '../../../src/mbox/index.js';
import { archiveExpected, archivesDir } from './helpers.js';

const lint = (name: string) => lintMbox(readFileSync(join(archivesDir, `${name}.mbox`)), name);
const where = (name: string) => lint(name).findings.map(({ message, rule, severity, line, offset }) => ({ message, rule, severity, line, offset }));

describe('archive fixtures: exactly the findings marked in their source', () => {
  it.each(Object.keys(archiveExpected))('%s', (name) => {
    expect(where(name)).toEqual(archiveExpected[name]);
  });
});

describe('line endings are judged by the header majority', () => {
  it('incident 1 with LF: the Date line of a CRLF header ends with a bare LF although it comes first', () => {
    const [bareLf, copied] = lint('eol-incident1-lf').findings;
    expect(bareLf).toMatchObject({ rule: 'bare-lf', text: 'Date: Fri, 8 Sep 2017 13:44:32 -0400␊', detail: 'LF-only line end in a header whose lines end with CRLF' });
    expect(copied).toMatchObject({ rule: 'eol-mixed', detail: "the header's lines end with CRLF in a file whose lines end with LF" });
  });

  it('a CRLF line in an LF header is the odd one out', () => {
    expect(lint('eol-crlf-line-in-lf').findings[0]).toMatchObject({ rule: 'eol-mixed', text: 'Subject: message 2␍␊', detail: 'line ends with CRLF in a header whose lines end with LF' });
  });

  it('several odd lines before the first line of the majority: one finding on the first, naming how many follow', () => {
    const crlf = (n: number) => `Received: by x${n}\r\n`;
    const bytes = Buffer.from(`From a@b Fri Sep  8 17:44:32 2017\r\nDate: Fri, 8 Sep 2017 13:44:32 -0400\nX-A: 1\n${[1, 2, 3, 4].map(crlf).join('')}From: a@example.org\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n`, 'latin1');
    const found = lintMbox(bytes).findings.filter((f) => f.rule === 'bare-lf');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 2, detail: 'LF-only line end in a header whose lines end with CRLF; so do the next 1' });
  });

  it('CRLF lines in a header whose lines mostly end with LF: one eol-mixed, with their number', () => {
    // As in a test message edited on Unix: logical lines in CRLF, folds in LF, one more LF.
    const bytes = Buffer.from(`From a@b Fri Sep  8 17:44:32 2017\nX-A: a\n b\r\nX-B: a\n b\n c\r\nDate: Fri, 8 Sep 2017 13:44:32 -0400\r\nFrom: a@example.org\nMessage-ID: <1@x>\n\nbody\n`, 'latin1');
    const found = lintMbox(bytes).findings;
    expect(found.map((f) => [f.rule, f.line, f.detail])).toEqual([['eol-mixed', 3, 'line ends with CRLF in a header whose lines end with LF; so do 2 more of its lines']]);
  });

  it('a lone message (no file) breaks a tie towards CRLF: its LF lines are bare LFs', () => {
    const bytes = Buffer.from('Date: Fri, 8 Sep 2017 13:44:32 -0400\nFrom: a@example.org\r\nMessage-ID: <1@x>\n\r\nbody\r\n', 'latin1');
    expect(lintMessage(bytes).map((f) => [f.rule, f.line])).toEqual([
      ['bare-lf', 1],
      ['bare-lf', 3],
    ]);
  });
});

describe('Content-Length', () => {
  it('a Netscape mailbox is split where its Content-Length points, at "\\nFrom - " without a date or an empty line', () => {
    const { findings, messages, variant } = lint('content-length-netscape');
    expect(variant).toBe('mboxcl2');
    expect(messages.map((m) => m.message)).toEqual([1, 2, 3]);
    expect(findings.map((f) => f.rule)).not.toContain('content-length-mismatch');
  });

  it('the tolerance is one line end either way, and two octets are a mismatch', () => {
    expect(lint('content-length-one-line-end').findings).toEqual([]);
    expect(lint('content-length-two-off').findings[0]).toMatchObject({ rule: 'content-length-mismatch', severity: 'error', detail: 'Content-Length: 37 but the body has 35 octets' });
  });

  it('in an mboxo file a mismatch is a warning, which --min-severity error leaves out', () => {
    const bytes = readFileSync(join(archivesDir, 'content-length-mboxo.mbox'));
    expect(lintMbox(bytes).findings[0]).toMatchObject({ severity: 'warning', detail: expect.stringContaining('this mboxo file is not split by it') });
    expect(lintMbox(bytes, 'f', { minSeverity: 'error' }).findings).toEqual([]);
    expect(lintMbox(bytes, 'f', { minSeverity: 'warning' }).findings).toHaveLength(1);
  });
});

describe('From: <> is a null sender, not a lost address', () => {
  it('a bounce: empty-required with the bounce context; placeholder-address is not reported', () => {
    const [from, to] = lint('null-sender-bounce').findings;
    expect(from).toMatchObject({
      rule: 'empty-required',
      text: 'From: <>␊',
      detail: 'From holds only the null sender "<>" of a bounce (Content-Type multipart/report; envelope sender MAILER-DAEMON): it belongs in the envelope (MAIL FROM:<>, Return-Path: <>); From needs a mailbox, e.g. MAILER-DAEMON@host',
    });
    expect(to).toMatchObject({ rule: 'address-invalid', detail: 'To: "<>" is the SMTP null path, not a mailbox' });
  });

  it('without bounce signs the detail says only what the field holds; [no-from] stays a placeholder', () => {
    const bytes = (from: string) => Buffer.from(`From a@example.org Fri Sep  8 17:44:32 2017\nDate: Fri, 8 Sep 2017 13:44:32 -0400\n${from}\nMessage-ID: <1@x>\n\nbody\n`, 'latin1');
    expect(lintMbox(bytes('From:  <> ')).findings.map((f) => [f.rule, f.detail])).toEqual([
      ['empty-required', 'From holds only the null sender "<>": it belongs in the envelope (MAIL FROM:<>, Return-Path: <>); From needs a mailbox, e.g. MAILER-DAEMON@host'],
    ]);
    expect(lintMbox(bytes('From: [no-from]')).findings.map((f) => f.rule)).toEqual(['placeholder-address']);
  });
});

describe('duplicate-field: one finding per field, with the count', () => {
  it('51 Cc lines are one finding, and the repeated Subject after them is not lost to the per-rule limit', () => {
    expect(lint('duplicate-many').findings.map((f) => f.detail)).toEqual([
      '"Cc" occurs 51 times, first at byte 272; at most one is allowed',
      '"Subject" occurs 2 times, first at byte 197; at most one is allowed',
    ]);
  });
});

describe('an escaped ">From :" header line is the From field readers see', () => {
  it('mboxrd: the duplicate From is found, and the finding says where it hides', () => {
    const { findings, variant } = lint('mboxrd-escaped-from-header');
    expect(variant).toBe('mboxrd');
    expect(findings[0]).toMatchObject({
      rule: 'duplicate-field',
      text: '>From : <admin@legitimate.example>␊',
      detail: '"From" occurs 2 times, first at byte 320; at most one is allowed; the one at byte 352 is written ">From", which mbox readers un-escape: a field hidden from tools that read the lines as written',
    });
  });

  it('a lone message is not read from an mbox, so there ">From :" is a field of its own name', () => {
    const bytes = Buffer.from('Date: Fri, 8 Sep 2017 13:44:32 -0400\nFrom: a@example.org\n>From : <admin@legitimate.example>\nMessage-ID: <1@x>\n\nbody\n', 'latin1');
    expect(lintMessage(bytes).map((f) => [f.rule, f.detail])).toEqual([['space-before-colon', 'white space between ">From" and ":"']]);
  });
});

describe('merged-field: any field name where a line end was lost, with a confidence', () => {
  const details = (name: string) => lint(name).findings.filter((f) => f.rule === 'merged-field').map((f) => [f.severity, f.detail]);

  it('no space left, X- fields, capitalised unknown names and free text', () => {
    expect(details('merged-fields')).toEqual([
      ['error', '"Content-Type:" inside the value of MIME-Version: two header lines were merged (high confidence: a field name in the value of a structured field, glued to the text before it)'],
      ['error', '"X-Priority:" inside the value of X-Mailer: two header lines were merged (high confidence: an X- field name)'],
      ['warning', '"Thread-Index:" inside the value of X-Mailer: two header lines were merged (medium confidence: a field name of capitalised words)'],
      ['warning', '"X-Mailer:" inside the value of Subject: two header lines were merged (medium confidence: an X- field name, in free text)'],
    ]);
  });

  it('From and To merged, then rewritten by an MTA: merged-field, and no sender-required', () => {
    const { findings } = lint('merged-rewritten-by-mta');
    expect(findings.map((f) => f.rule)).not.toContain('sender-required');
    expect(details('merged-rewritten-by-mta')).toEqual([
      ['error', '"To:" inside the value of From: two header lines were merged (high confidence: an MTA rewrote the merged line, and To: is now the quoted local part "To:bob"@…)'],
      ['error', '"To:" inside the value of From: two header lines were merged (high confidence: an MTA rewrote the merged line, and To: is now the route To@mx.localhost:)'],
    ]);
  });

  it('incident 1: a Date and a From on one line, and a bare CR that readers take as a line end', () => {
    const merged = lintMbox(readFileSync(join(archivesDir, '../notspam'))).findings.filter((f) => f.rule === 'merged-field');
    expect(merged.map((f) => [f.message, f.severity])).toEqual([
      [2, 'error'],
      [3, 'error'],
    ]);
  });

  it('a Subject merged into an unstructured field counts only when the header has no Subject of its own', () => {
    const bytes = (subject: string) => Buffer.from(`From a@example.org Fri Sep  8 17:44:32 2017\nDate: Fri, 8 Sep 2017 13:44:32 -0400\nFrom: a@example.org\nMessage-ID: <1@x>\nX-Mailer: Foo 1.0 Subject: hello\n${subject}\nbody\n`, 'latin1');
    expect(lintMbox(bytes('')).findings.map((f) => [f.rule, f.severity])).toEqual([['merged-field', 'warning']]);
    expect(lintMbox(bytes('Subject: hello\n')).findings).toEqual([]);
  });
});

describe('a file of CR line ends (classic Mac OS): said once, its messages linted with CR as the line end', () => {
  it('one cr-line-ends finding, the messages split at their From_ lines, the lines shown with ␍', () => {
    const { findings, messages, eol } = lint('cr-only-mac');
    expect(eol).toBe('cr');
    expect(messages).toHaveLength(2);
    expect(findings.filter((f) => f.rule === 'cr-line-ends')).toHaveLength(1);
    expect(findings[1]).toMatchObject({ rule: 'duplicate-field', text: 'From: Carol <carol@example.org>␍', fromLine: 'From alice@example.org Fri Sep  8 17:44:32 2017␍' });
  });

  it('the same whatever the chunks, and the same for one CR message read on its own as for a bare CR', () => {
    const bytes = readFileSync(join(archivesDir, 'cr-only-mac.mbox'));
    const whole = lintMbox(bytes, 'f').findings;
    for (const at of [1, 47, 48, 200, 401, bytes.length - 1]) {
      expect(lintChunks([bytes.subarray(0, at), bytes.subarray(at)], 'f', { sniffBytes: 64 }).findings).toEqual(lintChunks([bytes], 'f', { sniffBytes: 64 }).findings);
    }
    expect(whole.map((f) => f.rule)).toEqual(['cr-line-ends', 'duplicate-field']);
    // A lone message is not an mbox: its CRs are bare CRs, as incident 1's were.
    expect(lintMessage(Buffer.from('Date: Fri, 8 Sep 2017 13:44:32 -0400\rFrom: a@example.org\r\r', 'latin1')).map((f) => f.rule)).toContain('bare-cr');
  });
});
