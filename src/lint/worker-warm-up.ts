import { RuleTally } from '../mbox/rule-tally.js';
import { MboxScanner } from '../mbox/scanner.js';
import type { Severity } from '../mbox/types.js';
import type { FindingLayout } from './pending-findings.js';
import { PendingFindings } from './pending-findings.js';

/**
 * A range worker's engine starts cold: its first ranges run in the interpreter while the
 * optimizing compiler works on the hot functions (on the worker's own thread, see
 * range-threads.ts), and every branch the first lines never took has no type feedback, so
 * the optimized code gives up the first time a later line takes it ("insufficient type
 * feedback" deoptimizations) and is compiled again.
 *
 * So as it starts, while the main thread still loads the command line, a worker lints this
 * small archive a few times, with the default rules and the ndjson layout, writing nothing:
 * a few messages of every shape the rules tell apart (line endings, bare CR, 8-bit and
 * control bytes, long and folded lines, merged fields, the address, date, Message-ID, MIME
 * and encoded-word grammars, From_ lines, Content-Length, escaped From lines), so that each
 * branch has been taken before its function is optimized, and the hottest functions are
 * optimized before the first range comes. Two workers on 512 MB (a header-dense archive):
 * deoptimizations 52 → 17, compiling again 240 → 123 ms, and about 3% less time (medians
 * of 9 interleaved runs); the warm-up takes 40–80 ms per worker.
 */
const messages: string[] = [
  // Plain, LF: the common case.
  'From alice@example.org Mon Jan  1 00:00:00 2024\n' +
    'Return-Path: <alice@example.org>\n' +
    'Received: from mail.example.org (mail.example.org [192.0.2.1])\n\tby mx.example.net with ESMTPS id abc123\n\tfor <bob@example.net>; Mon, 1 Jan 2024 00:00:00 +0000\n' +
    'DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=sel;\n\th=from:to:subject:date; bh=abc=; b=def=\n' +
    'From: Alice Example <alice@example.org>\n' +
    'To: bob@example.net, "Carol, C." <carol@example.net>\n' +
    'Cc: Dave <dave@example.net>\n' +
    'Subject: =?UTF-8?Q?caf=C3=A9?= and =?ISO-8859-1?B?Y2Fm6Q==?=\n' +
    'Date: Mon, 1 Jan 2024 00:00:00 +0000\n' +
    'Message-ID: <20240101000000.1234@example.org>\n' +
    'In-Reply-To: <parent@example.org>\n' +
    'References: <a@example.org> <b@example.org>\n' +
    'MIME-Version: 1.0\n' +
    'Content-Type: text/plain; charset="utf-8"; format=flowed\n' +
    'Content-Transfer-Encoding: 8bit\n' +
    'Content-Length: 6\n' +
    'X-Mailer: Example Mail 1.0\n' +
    'List-Id: <list.example.org>\n' +
    '\n' +
    'Hello\n' +
    '\n',
  // CRLF, obsolete and unusual forms, a body line starting with "From " and an escaped one.
  'From bob@example.net Tue Jan  2 10:11:12 2024\r\n' +
    'From: "Bob \\(B\\)" <bob@example.net> (comment)\r\n' +
    'To: unlisted-recipients:; (no To-header on input)\r\n' +
    'Cc:(Empty list)(start)Undisclosed recipients  :(nobody(that I know))  ;\r\n' +
    'Bcc: Mary Smith <@machine.tld:mary@example.net>, , jdoe@test   . example\r\n' +
    'Reply-To: Group: a@example.net, b@example.net;\r\n' +
    'Date: Tue, 2 Jan 2024 10:11:12 -0500 (EST)\r\n' +
    'Message-ID: <"quoted.local"@example.net>\r\n' +
    'MIME-Version: 1.0 (produced by Example)\r\n' +
    'Content-Type: multipart/mixed;\r\n boundary="----=_Part_0_1.2"\r\n' +
    'Content-Transfer-Encoding: 7bit\r\n' +
    'Subject: a folded\r\n   subject line with "=?us-ascii?Q?quoted?=" text\r\n' +
    '\r\n' +
    'From the body: not a separator\r\n' +
    '>From an escaped line\r\n' +
    '\r\n',
  // Defects in the bytes of header lines.
  'From carol@example.net Wed Jan  3 01:02:03 2024\n' +
    'From: carol@example.net\n' +
    'To: dave@example.net\rX-Injected: yes\n' +
    'Subject: caf\xe9 \x01control\n' +
    `X-Long: ${'x'.repeat(120)}\n` +
    `X-Very-Long: ${'y'.repeat(1010)}\n` +
    ' \t\n' +
    'Date: 27 Jun 01 3:36:25 AM\n' +
    'Message-ID: <a..b@host>\n' +
    'X-Mailer: foo X-Priority: 3\n' +
    'MIME-Version: 1.0Content-Type: text/plain; charset=us-ascii\n' +
    'Content-Type: text/plain; charset=\n' +
    'Content-Transfer-Encoding: base65\n' +
    'Bad Name: value\n' +
    'Subject : spaced\n' +
    ': no name\n' +
    'Content-Length: 99\n' +
    '\n' +
    'body\n' +
    '\n',
  // Line endings mixed both ways, duplicates, merged From and To, an unterminated group.
  'From dave@example.net Thu Jan  4 12:00:00 2024\n' +
    'Date: Thu, 04 Jan 2024 12:00:00 +0100\n' +
    'From: dave@example.net To: erin@example.net\r\n' +
    'To: Group: a@b.example, c@d.example\r\n' +
    'Cc: one@example.net\r\n' +
    'Cc: two@example.net\r\n' +
    'Sender: one@example.net, two@example.net\r\n' +
    'Message-ID: <9209252113.AA00975@ ebony >\r\n' +
    'Subject: =?utf-8?X?bad?= =?utf-8?q?unfinished\r\n' +
    '\r\n' +
    'body\n' +
    '\n',
  // Dates and zones, null sender and placeholders, a header line starting with "From ".
  'From MAILER-DAEMON Fri Jan  5 00:00:00 2024\n' +
    'From: <>\n' +
    'To: [no-to]\n' +
    'Date: Fri, 05 Jan 2024 06:50:21 PM -0400\n' +
    'Date: Sat, 5 Jan 2024 00:00:00 -3000 (EDT\n' +
    'Message-ID: <Mail2L:x@host>\n' +
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n' +
    'From nobody inside the header\n' +
    '>From: <admin@legitimate.example>\n' +
    '\n' +
    'bounce\n' +
    '\n',
  // A From_ line without a date, a header without an empty line after it, missing fields.
  'From - \n' +
    'Subject: Netscape\n' +
    'X-Mozilla-Status: 0001\n' +
    'Content-Length: 5\n' +
    '\n' +
    'body\n' +
    'From - \n' +
    ' continuation first\n' +
    'Subject: no date, no from\n' +
    'Date: Fri, 32 Feb 1899 25:61:00 +2400\n' +
    'From eve@example.org Sat Jan  6 00:00:00 2024\n' +
    'From: Eve <eve@example.org>\n' +
    'Date: Sun, 6 Jan 2024 00:00:00 GMT\n' +
    'To: "=?iso-8859-1?Q?RPM=2DList?=" <rpm@example.org>\n' +
    '\n' +
    'last\n' +
    '\n',
  // From_ lines of other writers, a From with two mailboxes and no Sender, text after a date.
  'From john smith@example.org Sun, 7 Jan 2024 00:00:00 +0000\n' +
    'From: a@example.org, b@example.org\n' +
    'Date: Sun, 7 Jan 2024 00:00:00 +0000 trailing words\n' +
    'Message-ID: <x@y.example>\n' +
    '\n' +
    'From \n' +
    'From: c@example.org\n' +
    '\n' +
    'end\n',
];

/** The archive the workers warm up on (exported for the test that holds it to its purpose). */
export const warmUpSample = Buffer.from(messages.join(''), 'latin1');

/** Rounds of the sample: the first allocate the functions' feedback, the next fill it and get the hottest optimized (16 did better than 4 and 40). */
export const warmUpRounds = 16;

/** Lints the sample `warmUpRounds` times with these rules and this layout, writing nothing. */
export function warmUpRangeWorker(isEnabled: (rule: string, severity?: Severity) => boolean, layout: FindingLayout | undefined): void {
  for (let round = 0; round < warmUpRounds; round++) {
    const pending = layout ? new PendingFindings(layout) : undefined;
    const tally = new RuleTally();
    const scanner = new MboxScanner({
      file: 'warm-up',
      framing: true,
      isEnabled,
      origins: false,
      onMessage(_info, findings) {
        tally.nextMessage();
        for (const f of findings) {
          tally.add(f);
          pending?.add(f);
        }
      },
    });
    scanner.push(warmUpSample);
    scanner.end();
    pending?.drain(0, 0, 0, () => {});
  }
}
