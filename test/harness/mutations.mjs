// Corruptions injected into real, clean messages of the real-world corpus, each with a valid
// near-miss twin, for the mutation-recall test (test/unit/mbox/mutation-recall.test.ts) and
// bench/lint-corpus.mjs. A kind damages one message the way a real pipeline did (the
// incidents and the issue's bytes), names the rules that report that damage, and says where
// they must point. Its twin changes the same message in a way RFC 5322 / 2045–2047 / 4155
// allow, so that a finding on the twin is a false alarm: recall comes from the mutants,
// precision from mutants against twins.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FIELD = /^([!-9;-~]+)[ \t]*:/;

/** One message as lines, each `{ text, eol }`; lines[0] is its From_ line. */
export class Msg {
  constructor(lines) {
    this.lines = lines;
  }

  static parse(bytes) {
    const lines = [];
    for (const m of Buffer.from(bytes).toString('latin1').matchAll(/[^\n]*\n|[^\n]+$/g)) {
      const s = m[0];
      if (s.endsWith('\r\n')) lines.push({ text: s.slice(0, -2), eol: '\r\n' });
      else if (s.endsWith('\n')) lines.push({ text: s.slice(0, -1), eol: '\n' });
      else lines.push({ text: s, eol: '' });
    }
    return new Msg(lines);
  }

  clone() {
    return new Msg(this.lines.map((l) => ({ ...l })));
  }

  /** The line end of the message's header (that of its first header line). */
  get eol() {
    return this.lines[1]?.eol || '\n';
  }

  toBuffer() {
    return Buffer.from(this.lines.map((l) => l.text + l.eol).join(''), 'latin1');
  }

  /** Index of the empty line that ends the header. */
  headerEnd() {
    const i = this.lines.findIndex((l, n) => n > 0 && l.text === '');
    return i < 0 ? this.lines.length : i;
  }

  fields() {
    const out = [];
    const end = this.headerEnd();
    for (let i = 1; i < end; i++) {
      const m = FIELD.exec(this.lines[i].text);
      if (m) out.push({ name: m[1], lower: m[1].toLowerCase(), start: i, end: i });
      else if (/^[ \t]/.test(this.lines[i].text) && out.length) out[out.length - 1].end = i;
    }
    return out;
  }

  field(name) {
    return this.fields().find((f) => f.lower === name.toLowerCase());
  }

  /** The field's value, unfolded (RFC 5322 §2.2.3: the line breaks removed, nothing else). */
  value(name) {
    const f = this.field(name);
    if (!f) return undefined;
    const text = this.lines
      .slice(f.start, f.end + 1)
      .map((l) => l.text)
      .join('');
    return text.slice(text.indexOf(':') + 1).replace(/^[ \t]+/, '');
  }

  /** Replaces the field by `texts` (whole lines), or inserts them before `before` when absent; returns the first index. */
  setField(name, texts, before = 'subject') {
    const f = this.field(name);
    const lines = [texts].flat().map((text) => ({ text, eol: this.eol }));
    if (f) {
      this.lines.splice(f.start, f.end - f.start + 1, ...lines);
      return f.start;
    }
    return this.insert(this.field(before)?.start ?? this.headerEnd(), texts);
  }

  /** Makes the field one line (unfolded) and returns its index. */
  oneLine(name) {
    const f = this.field(name);
    return this.setField(f.name, `${f.name}: ${this.value(name)}`);
  }

  insert(at, texts) {
    this.lines.splice(at, 0, ...[texts].flat().map((text) => ({ text, eol: this.eol })));
    return at;
  }

  remove(name) {
    const f = this.field(name);
    return this.lines.splice(f.start, f.end - f.start + 1);
  }

  /** Moves the (one-line) field `name` right before the field `before`; returns its new index. */
  moveBefore(name, before) {
    if (before.toLowerCase() === name.toLowerCase()) return this.oneLine(name);
    this.oneLine(name);
    const [line] = this.remove(name);
    const at = before === 'end' ? this.headerEnd() : this.field(before).start;
    this.lines.splice(at, 0, line);
    return at;
  }

  /**
   * Folds line `i` at its last space after the colon, or right after the colon (RFC 5322
   * §2.2.3: a line break may go before any white space of a field body), keeping the line end.
   */
  fold(i) {
    const { text } = this.lines[i];
    const colon = text.indexOf(':');
    const at = text.lastIndexOf(' ');
    if (at > colon) this.lines.splice(i, 1, { text: text.slice(0, at), eol: this.eol }, { text: text.slice(at), eol: this.eol });
    else this.lines.splice(i, 1, { text: text.slice(0, colon + 1), eol: this.eol }, { text: ` ${text.slice(colon + 1)}`, eol: this.eol });
  }

  /** The body's lines: after the header's empty line, up to the mbox separator (the final empty line). */
  bodyRange() {
    const start = this.headerEnd() + 1;
    let end = this.lines.length;
    if (end > start && this.lines[end - 1].text === '') end--;
    return { start, end };
  }
}

/** The first addr-spec of a value, its display name (or comment) and the local part and domain. */
export function addressOf(value) {
  const angle = /<([^<>\s]+@[^<>\s]+)>/.exec(value);
  const addr = angle?.[1] ?? /[^\s<>()",;:]+@[^\s<>()",;:]+/.exec(value)?.[0] ?? 'someone@example.org';
  let display = angle ? value.slice(0, angle.index).trim().replace(/^"|"$/g, '') : (/\(([^()]*)\)/.exec(value)?.[1] ?? '');
  if (!/^[A-Za-z][A-Za-z '-]*$/.test(display)) display = 'Chris Jones';
  const at = addr.lastIndexOf('@');
  return { addr, display, local: addr.slice(0, at), domain: addr.slice(at + 1) };
}

const pick = (list, v) => list[v % list.length];

/**
 * The kinds. `expect`: rules any of which reports the damage; `where`: `line` (the finding's
 * line must be in the returned range of line indices) or `message` (anywhere in the message,
 * for fields deleted); `eol`: `crlf` for damage that only exists in CRLF messages; `filler`:
 * the case's file starts with an LF original before the message; `twinMin`: the lowest
 * severity counted as a false alarm on the twin (default warning).
 * `mutate(m, v)` and `twin(m, v)` change `m` in place (`v` picks a variant); `mutate` returns
 * `[first, last]` line indices.
 */
export const kinds = [
  {
    id: 'bare-cr-merge',
    title: 'Date line ended by a bare CR before From (incident 1)',
    expect: ['bare-cr'],
    mutate(m) {
      const i = m.moveBefore('date', 'from');
      m.oneLine('from');
      m.lines[i].text += `\r${m.lines[i + 1].text}`;
      m.lines.splice(i + 1, 1);
      return [i, i];
    },
    twin(m) {
      m.fold(m.moveBefore('date', 'from'));
    },
  },
  {
    id: 'cr-merge-stored',
    title: 'Date and From merged on one line, the CR stored as a space (Postfix)',
    expect: ['merged-field'],
    mutate(m) {
      const i = m.moveBefore('date', 'from');
      m.oneLine('from');
      m.lines[i].text += ` ${m.lines[i + 1].text}`;
      m.lines.splice(i + 1, 1);
      return [i, i];
    },
    twin(m) {
      const i = m.moveBefore('date', 'from');
      const zone = /([+-])(\d\d)(\d\d)\s*$/.exec(m.lines[i].text);
      m.lines[i].text += zone ? ` (GMT${zone[1]}${zone[2]}:${zone[3]})` : ' (UTC)';
    },
  },
  {
    id: 'cr-merge-x-field',
    title: 'two X- fields merged, the CR stored as a space (`X-Mailer: … X-Priority: 3`)',
    expect: ['merged-field'],
    mutate(m) {
      const fields = m.fields();
      const pair = fields.findIndex((f, n) => f.start === f.end && f.lower.startsWith('x-') && fields[n + 1]?.lower.startsWith('x-') && fields[n + 1].start === fields[n + 1].end);
      if (pair < 0) {
        const i = m.insert(m.field('subject').start, 'X-Mailer: Microsoft Outlook Express 6.00.2800.1106 X-Priority: 3 (Normal)');
        return [i, i];
      }
      const i = fields[pair].start;
      m.lines[i].text += ` ${m.lines[i + 1].text}`;
      m.lines.splice(i + 1, 1);
      return [i, i];
    },
    twin(m, v) {
      m.insert(m.field('subject').start, pick(['X-Spam-Report: Content analysis details: (-2.6 points, 5.0 required)', `X-Original-Subject: Re: ${m.value('subject')}`], v));
    },
  },
  {
    id: 'cr-merge-from-to',
    title: 'From and To merged on one line (CR stored as a space)',
    expect: ['merged-field'],
    mutate(m) {
      m.oneLine('from');
      const i = m.moveBefore('to', 'from') + 1;
      m.lines[i].text += ` ${m.lines[i - 1].text}`;
      m.lines.splice(i - 1, 1);
      return [i - 1, i - 1];
    },
    twin(m) {
      const { addr } = addressOf(m.value('from'));
      m.setField('from', `From: "Sales: EMEA" <${addr}>`);
    },
  },
  {
    id: 'merge-no-space',
    title: 'MIME-Version and Content-Type merged without a space (`1.0Content-Type:`)',
    expect: ['merged-field'],
    mutate(m) {
      const type = m.value('content-type') ?? 'text/plain; charset=us-ascii';
      if (m.field('content-type')) m.remove('content-type');
      const i = m.setField('mime-version', `MIME-Version: 1.0Content-Type: ${type}`);
      return [i, i];
    },
    twin(m) {
      m.setField('mime-version', 'MIME-Version: 1.0 (Apple Message framework v1085)');
    },
  },
  {
    id: 'bare-lf',
    title: 'CRLF message: the Date line ends in a bare LF',
    eol: 'crlf',
    expect: ['bare-lf'],
    mutate(m) {
      const i = m.oneLine('date');
      m.lines[i].eol = '\n';
      return [i, i];
    },
    twin(m) {
      m.fold(m.oneLine('date'));
    },
  },
  {
    id: 'bare-lf-first-line',
    title: 'CRLF message under an LF From_ line (as an MDA writes it): the first header line, Date (incident 1), ends in a bare LF',
    eol: 'crlf',
    twinMin: 'error',
    expect: ['bare-lf'],
    mutate(m) {
      m.lines[0].eol = '\n';
      const i = m.moveBefore('date', m.fields()[0].lower);
      m.lines[i].eol = '\n';
      return [i, i];
    },
    twin(m) {
      m.lines[0].eol = '\n';
      m.moveBefore('date', m.fields()[0].lower);
    },
  },
  {
    id: 'bare-lf-crlf-message-in-lf-file',
    title: 'CRLF message (LF From_ line) after an LF message in one file: its Date line ends in a bare LF',
    eol: 'crlf',
    filler: true,
    twinMin: 'error',
    expect: ['bare-lf'],
    mutate(m) {
      m.lines[0].eol = '\n';
      const i = m.oneLine('date');
      m.lines[i].eol = '\n';
      return [i, i];
    },
    twin(m) {
      m.lines[0].eol = '\n';
    },
  },
  {
    id: 'unescaped-from',
    title: 'a body paragraph starting with "From " not escaped',
    expect: ['unescaped-from', 'from-unparseable'],
    mutate(m) {
      const { start } = m.bodyRange();
      const i = m.insert(start + 1, ['', 'From what I can tell, this is fine.']) + 1;
      return [i, i];
    },
    twin(m) {
      m.insert(m.bodyRange().start + 1, ['', '>From what I can tell, this is fine.']);
    },
  },
  {
    id: 'content-length-wrong',
    title: 'Content-Length counted with the other line ends (LF vs CRLF conversion)',
    expect: ['content-length-mismatch'],
    mutate(m) {
      const { octets, lines } = bodyOctets(m);
      const i = m.setField('content-length', `Content-Length: ${m.eol === '\r\n' ? octets - lines : octets + lines}`);
      return [i, i];
    },
    twin(m) {
      m.setField('content-length', `Content-Length: ${bodyOctets(m).octets}`);
    },
  },
  {
    id: 'duplicate-from',
    title: 'a second From field (header smuggling)',
    expect: ['duplicate-field'],
    mutate(m) {
      const from = m.field('from');
      // Either From may carry the finding: the pair is the damage.
      return [from.start, m.insert(from.end + 1, 'From: <admin@legitimate.example>')];
    },
    twin(m) {
      m.insert(1, ['Resent-From: Postmaster <postmaster@legitimate.example>', `Resent-Date: ${m.value('date')}`]);
    },
  },
  {
    id: 'date-invalid',
    title: 'Date not an RFC 5322 date-time',
    expect: ['date-invalid', 'date-trailing-text'],
    mutate(m, v) {
      const dates = [
        '27 Jun 01 3:36:25 AM',
        'Fri, 30 Aug 2002 06:50:21 PM -0400',
        '2002/09/14 Sat 02:29:32 CDT',
        'Mon, 32 Jan 2024 10:00:00 +0000',
        'Thu, 29 Aug 2002 15:36:58 +-0500',
        'Pn, 29 paX 2007 21:13:00 +0100',
        'Tue, 12 Oct 2010 25:21:05 +0500',
        'Sun, 25 Aug 2002 19:21:44 01800',
      ];
      const i = m.setField('date', `Date: ${pick(dates, v)}`);
      return [i, i];
    },
    twin(m, v) {
      const dates = ['8 Sep 2017 13:44:33 -0400', 'Fri, 8 Sep 2017 13:44 -0400', 'Fri, 08 Sep 2017 13:44:33 -0400 (EDT)', 'Sat, 29 Feb 2020 23:59:60 +0100', 'Fri,\t8 Sep 2017 13:44:33 +0000'];
      m.setField('date', `Date: ${pick(dates, v)}`);
    },
  },
  {
    id: 'date-zone-impossible',
    title: 'Date with an impossible zone (beyond ±14 h, or minutes ≥ 60)',
    expect: ['date-zone', 'date-invalid'],
    mutate(m, v) {
      const i = m.setField('date', `Date: Fri, 8 Sep 2017 13:44:33 ${pick(['+2400', '-3000', '+0975', '+1500', '-9999'], v)}`);
      return [i, i];
    },
    twin(m, v) {
      m.setField('date', `Date: Fri, 8 Sep 2017 13:44:33 ${pick(['+1400', '-1200', '+0545', '+1345', '-0000'], v)}`);
    },
  },
  {
    id: 'message-id-invalid',
    title: 'Message-ID not `<dot-atom@dot-atom-or-literal>`',
    expect: ['message-id-invalid'],
    mutate(m, v) {
      const { left, right } = messageIdOf(m);
      const ids = [`<${left}@.>`, `<${left}..x@${right}>`, `<${left}@${right}.>`, `<Mail2L:${left}@${right}>`, `${left}@${right}`, `<${left}>`, `<${left}@${right}`];
      const i = m.setField('message-id', `Message-ID: ${pick(ids, v)}`);
      return [i, i];
    },
    twin(m, v) {
      const { left, right } = messageIdOf(m);
      const ids = [`<${left}.a1$b2=c3@${right}>`, `<${left}@[192.0.2.1]>`, `<${left}@${right}> (generated)`];
      m.setField('message-id', `Message-ID: ${pick(ids, v)}`);
    },
  },
  {
    id: 'encoded-word-invalid',
    title: 'a broken RFC 2047 encoded-word in Subject',
    expect: ['encoded-word-invalid'],
    mutate(m, v) {
      const words = ['=?utf-8?Q?Caf=C3=A9=ZZ?=', '=?utf-8?X?Q2Fmw6k=?=', '=?utf-8?B?Q2Fmw6k?=', '=?utf-8?Q?Caf=C3=A9', '=??Q?Cafe?='];
      const i = m.setField('subject', `Subject: ${pick(words, v)} ${m.value('subject')}`);
      return [i, i];
    },
    twin(m, v) {
      const words = ['=?UTF-8?Q?Caf=C3=A9?=', '=?iso-8859-1?q?caf=E9?=', '=?UTF-8?B?Q2Fmw6k=?=', '=?utf-8*en?Q?Caf=C3=A9?=', '=?UTF-8?Q?Caf?= =?UTF-8?Q?=C3=A9?='];
      m.setField('subject', `Subject: ${pick(words, v)} ${m.value('subject')}`);
    },
  },
  {
    id: 'raw-8bit',
    title: 'raw 8-bit bytes (UTF-8 or Latin-1) in Subject',
    expect: ['raw-8bit'],
    mutate(m, v) {
      const i = m.setField('subject', `Subject: ${pick(['Caf\u00c3\u00a9', 'Caf\u00e9'], v)} ${m.value('subject')}`);
      return [i, i];
    },
    twin(m) {
      m.setField('subject', `Subject: =?UTF-8?Q?Caf=C3=A9?= ${m.value('subject')}`);
    },
  },
  {
    id: 'space-before-colon',
    title: 'white space between a field name and its colon',
    expect: ['space-before-colon'],
    mutate(m, v) {
      const i = m.setField('subject', `Subject${pick([' ', '\t'], v)}: ${m.value('subject')}`);
      return [i, i];
    },
    twin(m, v) {
      m.setField('subject', `Subject:${pick(['\t', ''], v)}${m.value('subject')}`);
    },
  },
  {
    id: 'invalid-field-name',
    title: 'a field name with a space in it, or empty',
    expect: ['invalid-field-name'],
    mutate(m, v) {
      const { addr } = addressOf(m.value('from'));
      const line = pick([`quite To: ${m.value('to')}`, `Reply To: <${addr}>`, ': lost field name'], v);
      const i = v % 3 === 0 ? m.setField('to', line) : m.insert(m.field('subject').start, line);
      return [i, i];
    },
    twin(m, v) {
      const { addr } = addressOf(m.value('to'));
      m.insert(m.field('subject').start, pick(['X-Spam_score_int: -12', 'X-MS-Exchange-Organization-SCL: -1', `X-Original-To: ${addr}`], v));
    },
  },
  {
    id: 'control-char',
    title: 'a control character (NUL, ACK, ESC) in Subject',
    expect: ['control-char'],
    mutate(m, v) {
      const i = m.setField('subject', `Subject: ${pick(['\0', '\x06', '\x1b'], v)}${m.value('subject')}`);
      return [i, i];
    },
    twin(m) {
      m.setField('subject', `Subject: Re:\t${m.value('subject')}`);
    },
  },
  {
    id: 'address-invalid',
    title: 'From not a mailbox (brackets lost, comma unquoted, …)',
    expect: ['address-invalid'],
    mutate(m, v) {
      const { addr, display, local, domain } = addressOf(m.value('from'));
      const values = [`${display} ${addr}`, `${addr} second@example.org`, `Doe, John <${addr}>`, `<${local}@@${domain}>`, `"${display}" <>`, `${display} <${local}@>`];
      const i = m.setField('from', `From: ${pick(values, v)}`);
      return [i, i];
    },
    twin(m, v) {
      const { addr, display } = addressOf(m.value('from'));
      const values = [`"Doe, John" <${addr}>`, `"Marrinan, Shonagh \\(CAP, GCF\\)" <${addr}>`, `${addr} (${display})`, `${display} <${addr}> (work)`, `=?UTF-8?Q?J=C3=B6rg_Doe?= <${addr}>`];
      m.setField('from', `From: ${pick(values, v)}`);
    },
  },
  {
    id: 'group-unterminated',
    title: 'a group in To without its closing ";"',
    expect: ['address-invalid'],
    mutate(m, v) {
      const { addr } = addressOf(m.value('to'));
      const i = m.setField('to', `To: ${pick([`Group: ${addr}, second@example.org`, `undisclosed-recipients: ${addr}`], v)}`);
      return [i, i];
    },
    twin(m, v) {
      const { addr } = addressOf(m.value('to'));
      const values = [`Group: ${addr}, second@example.org;`, 'undisclosed-recipients:;', 'unlisted-recipients:; (no To-header on input)', `A Group:${addr};(comment)`];
      m.setField('to', `To: ${pick(values, v)}`);
    },
  },
  {
    id: 'placeholder-address',
    title: 'From replaced by a placeholder (`[no-from]`, incident 1)',
    expect: ['placeholder-address'],
    mutate(m, v) {
      const i = m.setField('from', `From: ${pick(['[no-from]', 'MISSING_MAILBOX@SYNTAX_ERROR', 'unknown@unknown'], v)}`);
      return [i, i];
    },
    twin(m, v) {
      m.setField('from', `From: ${pick(['Mail Delivery System <MAILER-DAEMON@example.org>', 'nobody@example.org', '"unknown" <unknown@example.org>'], v)}`);
    },
  },
  {
    id: 'missing-date',
    title: 'Date deleted',
    where: 'message',
    expect: ['missing-date'],
    mutate(m) {
      m.remove('date');
    },
    twin(m) {
      m.moveBefore('date', 'end');
    },
  },
  {
    id: 'missing-from',
    title: 'From deleted',
    where: 'message',
    expect: ['missing-from'],
    mutate(m) {
      m.remove('from');
    },
    twin(m) {
      m.moveBefore('from', 'end');
    },
  },
  {
    id: 'sender-required',
    title: 'From with two mailboxes and no Sender',
    expect: ['sender-required'],
    mutate(m) {
      const i = m.setField('from', `From: ${m.value('from')}, Second Author <second@example.org>`);
      return [i, i];
    },
    twin(m) {
      const { addr } = addressOf(m.value('from'));
      m.setField('from', `From: ${m.value('from')}, Second Author <second@example.org>`);
      m.insert(m.field('from').end + 1, `Sender: ${addr}`);
    },
  },
  {
    id: 'date-weekday',
    title: 'Date with the wrong day of the week',
    expect: ['date-weekday'],
    mutate(m) {
      const i = m.setField('date', 'Date: Mon, 8 Sep 2017 13:44:33 -0400');
      return [i, i];
    },
    twin(m) {
      m.setField('date', 'Date: Fri, 8 Sep 2017 13:44:33 -0400');
    },
  },
  {
    id: 'line-too-long',
    title: 'a header line over 998 octets',
    expect: ['line-too-long'],
    mutate(m) {
      const i = m.setField('subject', `Subject: ${m.value('subject')} ${longText()}`);
      return [i, i];
    },
    twin(m) {
      const words = `${m.value('subject')} ${longText()}`.split(' ');
      const lines = ['Subject:'];
      for (const w of words) {
        if (lines[lines.length - 1].length + w.length + 1 > 76) lines.push('');
        lines[lines.length - 1] += ` ${w}`;
      }
      m.setField('subject', lines);
    },
  },
  {
    id: 'blank-continuation',
    title: 'a folded line of white space only after Subject',
    expect: ['blank-continuation'],
    mutate(m, v) {
      const i = m.insert(m.field('subject').end + 1, pick([' ', '\t '], v));
      return [i, i];
    },
    twin(m) {
      m.insert(m.field('subject').end + 1, ' (continued)');
    },
  },
  {
    id: 'continuation-first',
    title: 'the first header line starts with white space',
    expect: ['continuation-first'],
    mutate(m) {
      m.lines[1].text = ` ${m.lines[1].text}`;
      return [1, 1];
    },
    twin(m) {
      m.fold(1);
    },
  },
  {
    id: 'no-body-separator',
    title: 'the empty line between header and body lost',
    expect: ['no-body-separator'],
    mutate(m) {
      const i = m.headerEnd();
      m.lines[i].text = 'Hello,';
      return [i - 1, i];
    },
    twin(m) {
      m.insert(m.headerEnd() + 1, 'Note: this body line looks like a header field.');
    },
  },
  {
    id: 'envelope-in-header',
    title: 'a header line starting with "From " (`From addr`, or `From  :<addr>` as in SpamAssassin spam/008)',
    expect: ['envelope-in-header'],
    mutate(m, v) {
      const { addr } = addressOf(m.value('from'));
      const i = m.insert(m.fields()[1].start, pick([`From ${addr}`, `From  :<${addr}>`], v));
      return [i, i];
    },
    twin(m) {
      const { addr } = addressOf(m.value('from'));
      m.insert(m.fields()[1].start, `X-From-Line: From ${addr}`);
    },
  },
  {
    id: 'from-line-in-header',
    title: 'a dated From_ line inside the header (a message cut short before the next one)',
    expect: ['envelope-in-header', 'from-not-after-blank'],
    mutate(m) {
      const { addr } = addressOf(m.value('from'));
      const i = m.insert(m.fields()[1].start, `From ${addr}  Mon Jan  1 00:00:00 2024`);
      return [i, i];
    },
    twin(m) {
      const { addr } = addressOf(m.value('from'));
      m.insert(m.fields()[1].start, `X-From-Line: From ${addr}  Mon Jan  1 00:00:00 2024`);
    },
  },
  {
    id: 'from-empty-sender',
    title: 'From_ line with an empty envelope sender (`From  Mon …`, incident 4)',
    expect: ['from-empty-sender'],
    mutate(m) {
      m.lines[0].text = `From  ${fromLineDate(m)}`;
      return [0, 0];
    },
    twin(m) {
      m.lines[0].text = `From MAILER-DAEMON ${fromLineDate(m)}`;
    },
  },
  {
    id: 'mime-header-invalid',
    title: 'Content-Type or Content-Transfer-Encoding malformed',
    expect: ['mime-header-invalid'],
    mutate(m, v) {
      if (!m.field('mime-version')) m.setField('mime-version', 'MIME-Version: 1.0');
      const i =
        v % 4 === 3
          ? m.setField('content-transfer-encoding', 'Content-Transfer-Encoding: 8 bit')
          : m.setField('content-type', `Content-Type: ${pick(['text/plain charset=us-ascii', 'text', 'text/plain; charset'], v)}`);
      return [i, i];
    },
    twin(m, v) {
      if (!m.field('mime-version')) m.setField('mime-version', 'MIME-Version: 1.0');
      if (v % 3 === 2) m.setField('content-transfer-encoding', 'Content-Transfer-Encoding: 7BIT');
      else m.setField('content-type', `Content-Type: ${pick(['text/plain; charset="us-ascii" (plain text)', 'TEXT/PLAIN; CHARSET=US-ASCII; format=flowed'], v)}`);
    },
  },
];

function bodyOctets(m) {
  const { start, end } = m.bodyRange();
  const lines = m.lines.slice(start, end);
  return { octets: lines.reduce((n, l) => n + l.text.length + l.eol.length, 0), lines: lines.length };
}

function messageIdOf(m) {
  const id = /<([^<>@\s]+)@([^<>\s]+)>/.exec(m.value('message-id'));
  return { left: id[1], right: id[2] };
}

function fromLineDate(m) {
  return m.lines[0].text.replace(/^From \S*\s+/, '');
}

function longText() {
  return Array.from({ length: 90 }, (_, i) => `word${i}`).join(' ').padEnd(1100, ' lorem');
}

// ---------------------------------------------------------------------------------------
// Originals: clean real messages, chosen once and checked in by offset and hash.

export const ORIGINALS_COLUMNS = ['id', 'file', 'message', 'offset', 'length', 'sha256', 'eol', 'origin'];

export const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

export function parseOriginals(text) {
  const rows = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  if (rows[0] !== ORIGINALS_COLUMNS.join('\t')) throw new Error(`expected the header ${ORIGINALS_COLUMNS.join(' ')}`);
  return rows.slice(1).map((l) => {
    const [id, file, message, offset, length, hash, eol, origin] = l.split('\t');
    return { id, file, message: Number(message), offset: Number(offset), length: Number(length), sha256: hash, eol, origin };
  });
}

export function formatOriginals(rows, preamble) {
  return `${[...preamble.map((l) => `# ${l}`), ORIGINALS_COLUMNS.join('\t'), ...rows.map((r) => ORIGINALS_COLUMNS.map((c) => r[c]).join('\t'))].join('\n')}\n`;
}

/** The fields every kind needs, each present once, and a body of a few lines. */
export function isMutable(msg) {
  const names = msg.fields().map((f) => f.lower);
  const once = (n) => names.filter((x) => x === n).length === 1;
  if (!['date', 'from', 'to', 'subject', 'message-id'].every(once)) return false;
  if (names.includes('content-length') || names.some((n) => n.startsWith('resent-') || n === 'sender')) return false;
  if (!/<[^<>@\s]+@[^<>\s]+>/.test(msg.value('message-id'))) return false;
  if (!/@/.test(msg.value('from')) || /,/.test(msg.value('from')) || /[:;]/.test(msg.value('to'))) return false;
  if (/multipart/i.test(msg.value('content-type') ?? '')) return false;
  const { start, end } = msg.bodyRange();
  return end - start >= 3 && msg.lines.slice(start, start + 1).every((l) => l.text !== '') && /^From \S+\s+\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/.test(msg.lines[0].text);
}

// ---------------------------------------------------------------------------------------
// Cases: the files linted (one message each, or a filler message and the case).

/**
 * Every case for `originals` (each `{ id, bytes, eol }`): the original itself, and per kind a
 * mutant and its twin. Each case is one mbox file; `message` is its message number there
 * (2 after a filler), `lines` the 1-based file lines a finding must be on (or undefined),
 * `range` the message's bytes after its From_ line (for peers that read one message).
 */
export function buildCases(originals) {
  const cases = [];
  const filler = originals.find((o) => o.eol === 'lf');
  const fillerMsg = filler ? ensureSeparated(Msg.parse(filler.bytes)) : undefined;
  const add = (c, msg, prefix) => {
    const body = ensureSeparated(msg).toBuffer();
    const head = prefix ? prefix.toBuffer() : Buffer.alloc(0);
    const shift = prefix ? prefix.lines.length : 0;
    const fromLine = body.indexOf(0x0a) + 1;
    cases.push({
      ...c,
      file: `${c.kind ?? 'original'}--${c.original}--${c.role}.mbox`,
      bytes: Buffer.concat([head, body]),
      message: prefix ? 2 : 1,
      lines: c.lines && [c.lines[0] + shift + 1, c.lines[1] + shift + 1],
      range: [head.length + fromLine, head.length + body.length],
    });
  };
  originals.forEach((o, n) => {
    const msg = ensureSeparated(Msg.parse(o.bytes));
    add({ original: o.id, role: 'original' }, msg.clone());
    for (const kind of kinds) {
      if (kind.eol === 'crlf' && o.eol !== 'crlf') continue;
      if (kind.filler && !fillerMsg) continue;
      const prefix = kind.filler ? fillerMsg : undefined;
      const mutant = msg.clone();
      const lines = kind.mutate(mutant, n);
      add({ kind: kind.id, original: o.id, role: 'mutant', lines: kind.where === 'message' ? undefined : lines }, mutant, prefix);
      const twin = msg.clone();
      kind.twin(twin, n);
      add({ kind: kind.id, original: o.id, role: 'twin' }, twin, prefix);
    }
  });
  return cases;
}

/** An mbox message ends with an empty line (RFC 4155 §2); a copy cut at the end of a file may lack it. */
function ensureSeparated(msg) {
  const last = msg.lines[msg.lines.length - 1];
  if (last.eol === '') last.eol = msg.eol;
  if (last.text !== '') msg.lines.push({ text: '', eol: msg.eol });
  return msg;
}

export function writeCases(dir, cases) {
  mkdirSync(dir, { recursive: true });
  for (const c of cases) writeFileSync(join(dir, c.file), c.bytes);
}

const rank = { info: 0, warning: 1, error: 2 };

/**
 * What smtpdbg found per case. A mutant is detected when one of its kind's rules reports on
 * one of its lines; a twin is a false alarm when it has a finding (at the kind's `twinMin`
 * severity or above) that its original does not have.
 */
export function evaluate(cases, findings) {
  const byFile = new Map();
  for (const f of findings) {
    if (!byFile.has(f.file)) byFile.set(f.file, []);
    byFile.get(f.file).push(f);
  }
  // A damaged line may split the message (a loose reader's From_ line): the findings of the
  // case's message and of any that follow it in its file count, not those of a filler before it.
  const of = (c) => (byFile.get(c.file) ?? []).filter((f) => f.message >= c.message);
  const originals = new Map(cases.filter((c) => c.role === 'original').map((c) => [c.original, of(c)]));
  const kindById = new Map(kinds.map((k) => [k.id, k]));
  return cases
    .filter((c) => c.role !== 'original')
    .map((c) => {
      const kind = kindById.get(c.kind);
      const found = of(c);
      if (c.role === 'mutant') {
        const hit = found.some((f) => kind.expect.includes(f.rule) && (c.lines ? f.line >= c.lines[0] && f.line <= c.lines[1] : f.message === c.message));
        return { ...c, detected: hit, found };
      }
      const min = rank[kind.twinMin ?? 'warning'];
      const extra = newRules(
        found.filter((f) => rank[f.severity] >= min).map((f) => f.rule),
        (originals.get(c.original) ?? []).map((f) => f.rule),
      );
      return { ...c, detected: extra.length > 0, extra, found };
    });
}

/** The entries of `after` beyond those of `before` (multisets). */
export function newRules(after, before) {
  const left = new Map();
  for (const r of before) left.set(r, (left.get(r) ?? 0) + 1);
  const extra = [];
  for (const r of after) {
    const n = left.get(r) ?? 0;
    if (n > 0) left.set(r, n - 1);
    else extra.push(r);
  }
  return extra;
}

// ---------------------------------------------------------------------------------------
// The mutation expectations: the misses and the twins' false alarms, listed exactly.

export const OUTCOMES_COLUMNS = ['kind', 'original', 'outcome', 'detail'];
export const Outcome = { miss: 'miss', falseAlarm: 'twin-false-alarm' };

/** The rows for evaluated cases: each mutant missed, each twin flagged. */
export function outcomesOf(results) {
  const rows = [];
  for (const r of results) {
    if (r.role === 'mutant' && !r.detected) {
      const seen = r.found.filter((f) => f.severity !== 'info').map((f) => `${f.rule}@${f.line}`);
      rows.push({ kind: r.kind, original: r.original, outcome: Outcome.miss, detail: seen.length ? `found instead: ${seen.join(' ')}` : 'nothing found' });
    }
    if (r.role === 'twin' && r.detected) rows.push({ kind: r.kind, original: r.original, outcome: Outcome.falseAlarm, detail: `new on the valid twin: ${r.extra.join(' ')}` });
  }
  return rows;
}

export function parseOutcomes(text) {
  const rows = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  if (rows[0] !== OUTCOMES_COLUMNS.join('\t')) throw new Error(`expected the header ${OUTCOMES_COLUMNS.join(' ')}`);
  return rows.slice(1).map((l) => {
    const [kind, original, outcome, detail] = l.split('\t');
    return { kind, original, outcome, detail };
  });
}

export function formatOutcomes(rows, preamble) {
  return `${[...preamble.map((l) => `# ${l}`.trimEnd()), OUTCOMES_COLUMNS.join('\t'), ...rows.map((r) => OUTCOMES_COLUMNS.map((c) => String(r[c]).replace(/[\t\r\n]/g, ' ')).join('\t'))].join('\n')}\n`;
}

/** Per kind: mutants, detected, twins, twins flagged. */
export function tally(results) {
  const out = new Map(kinds.map((k) => [k.id, { kind: k, mutants: 0, detected: 0, twins: 0, falseAlarms: 0 }]));
  for (const r of results) {
    const t = out.get(r.kind);
    if (r.role === 'mutant') {
      t.mutants++;
      if (r.detected) t.detected++;
    } else {
      t.twins++;
      if (r.detected) t.falseAlarms++;
    }
  }
  return [...out.values()].filter((t) => t.mutants > 0);
}

/**
 * The originals listed in `text` (mutation-originals.tsv), read from the corpus in `dir` and
 * checked against their hashes: a corpus that changed under the list is an error, not a
 * silently different measurement.
 */
export function loadOriginals(text, dir) {
  return parseOriginals(text).map((o) => {
    const bytes = readFileSync(join(dir, o.file)).subarray(o.offset, o.offset + o.length);
    if (sha256(bytes) !== o.sha256) throw new Error(`${o.file} bytes ${o.offset}+${o.length} (original ${o.id}) changed: sha256 ${sha256(bytes)}, listed ${o.sha256}`);
    return { ...o, bytes };
  });
}
