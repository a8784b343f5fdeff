import { Field, type RuleSink } from './field.js';
import { isWsp, showLine, SourceLine, type Line } from './line.js';
import { fieldRules, ruleById, type RuleId } from './rules/catalog.js';
import { Role } from './rules/field-roles.js';
import { MergedLines } from './rules/merged-field.js';
import { checkFieldName, checkHeaderBlock, checkLineBytes, classifyHeaderLine, LineBytes, LineKind, scanLineBytes, unescapedFromField } from './rules/header-bytes.js';
import { checkFieldValues } from './rules/values.js';
import { connectingHost, mailerName } from './group-by.js';
import { Eol, Severity, Variant, type Finding, type OriginFields } from './types.js';

export interface MessageContext {
  file: string;
  message: number;
  /** The line ending of the file's From_ lines, for `eol-mixed`; undefined for a lone message. */
  fileEol: Eol | undefined;
  /** The line ending of the file's other lines (`Sniffed.contentEol`); undefined for a lone message. */
  contentEol: Eol | undefined;
  /** Whether findings of `rule` are wanted (at `severity`, when it is not the rule's). */
  isEnabled(rule: string, severity?: Severity): boolean;
  /** The file's variant, or `message` for a lone message. */
  variant: Variant;
  /** The file's lines end with CR, read as LF (see the scanner's `crLines`): shown as ␍ again. */
  crLines: boolean;
  /** Keep the fields `origin()` reads (`--group-by`). */
  origins: boolean;
}

/** A header of endless fields (a file that is all header) keeps this many for the block rules. */
const maxFields = 2000;
/**
 * Up to this many header bytes, fields keep views of their lines in the chunks they came
 * from (a few chunks at most); past it they copy their line and decode their value at
 * once, so that a header of endless fields does not pin every chunk it was read from.
 */
const viewHeaderBytes = 256 * 1024;

const scratchLineBytes = new LineBytes();

/** True when the line holds only SP, HTAB and CR. */
function isBlankLine(line: SourceLine): boolean {
  const b = line.buf;
  for (let i = line.start; i < line.end; i++) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/** Details by two line endings, made once (see `missing` in header-bytes.ts). */
const eolDetails = (text: (a: string, b: string) => string): Record<Eol, Record<Eol, string>> =>
  Object.fromEntries(Object.values(Eol).map((a) => [a, Object.fromEntries(Object.values(Eol).map((b) => [b, text(a.toUpperCase(), b.toUpperCase())]))])) as Record<Eol, Record<Eol, string>>;
/** `eol-mixed` of a From_ line, by its line ending and that of the file's From_ lines. */
const fromLineEolDetail = eolDetails((line, file) => `line ends with ${line} in a file whose lines end with ${file}`);
/** `eol-mixed` of a header, by its lines' ending and that of the file's messages. */
const headerEolDetail = eolDetails((header, file) => `the header's lines end with ${header} in a file whose lines end with ${file}`);
const bareLfDetail = 'LF-only line end in a header whose lines end with CRLF';
const crlfInLfDetail = 'line ends with CRLF in a header whose lines end with LF';
/** Header lines kept for the line-ending findings once a header has lines of both endings. */
const maxMixedEolLines = 2 * 50 + 2;

const byOffsetThenRule = (a: Finding, b: Finding): number => a.offset - b.offset || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0);

/**
 * A stable sort by `byOffsetThenRule`. A message has a few findings, mostly in order
 * already: insertion sort handles them in place, where `Array.prototype.sort` copies.
 */
function sortFindings(findings: Finding[]): Finding[] {
  if (findings.length > 16) return findings.sort(byOffsetThenRule);
  for (let i = 1; i < findings.length; i++) {
    const f = findings[i]!;
    let j = i;
    for (; j > 0 && byOffsetThenRule(findings[j - 1]!, f) > 0; j--) findings[j] = findings[j - 1]!;
    findings[j] = f;
  }
  return findings;
}

/** The indexes in `fieldRules` of the rules that read a field, by its lower-case name. */
const rulesByField = new Map<string, number[]>();
fieldRules.forEach((rule, i) => {
  for (const name of rule.fields) {
    const rules = rulesByField.get(name) ?? [];
    if (!rules.includes(i)) rules.push(i);
    rulesByField.set(name, rules);
  }
});
/** What `checkFieldRules` gives each rule, filled and emptied per header (a header is checked at once). */
const fieldsOfRule: Field[][] = fieldRules.map(() => []);

/** A message with thousands of broken lines reports each rule this often, then stops. */
const maxPerRulePerMessage = 50;

/**
 * Collects the findings of one message as its lines arrive. Findings are handed out
 * sorted by offset at `finish`, when the Message-ID is known, so that their order never
 * depends on where the input was cut.
 */
export class MessageLinter implements RuleSink {
  private readonly findings: Finding[] = [];
  /** Findings per rule, counted once the message has many (`maxPerRulePerMessage`). */
  private perRule: Map<string, number> | undefined;
  private readonly fields: Field[] = [];
  private current: Field | undefined;
  private headerLines = 0;
  private headerBytes = 0;
  /**
   * The line endings of the header's lines, tallied as they come and judged at its end
   * (`judgeEol`): the convention is what most of them end with, so that the odd line is the
   * finding whichever line comes first. Until a line ends otherwise than the first, only
   * that first line (where it lies, not copied) and a count are kept.
   */
  private eolFirst: Eol | undefined;
  private eolRun = 0;
  private eolRunBuf: Uint8Array | undefined;
  private eolRunStart = 0;
  private eolRunEnd = 0;
  private eolRunOffset = 0;
  private eolRunLineNo = 0;
  private eolRunLength = 0;
  /** Every header line after the first that ended otherwise (pinned), while there is room. */
  private eolMixed: SourceLine[] | undefined;
  private eolLf = 0;
  private eolCrlf = 0;
  /** The From_ line ends otherwise than the file's (reported in the constructor). */
  private fromLineEolMixed = false;
  /** The header's first Content-Length field, once kept. */
  private contentLengthField: Field | undefined;
  private contentLength: number | undefined;
  private contentLengthLine: Line | undefined;
  readonly fromLine: Line | undefined;
  /** The first line of the message, where whole-header findings point. */
  private anchor: Line | undefined;
  /** Offset of the line `shownText` shows. */
  private shownOffset = -1;
  private shownText = '';
  /**
   * The current field when no rule reads it (Received, X-…): one object, started afresh for
   * each such field, and kept only if its value turns out to hold "=?" (encoded words).
   */
  private spare: Field | undefined;
  /** Merged fields found in lines so far (made at the first line with ": " past its field's colon). */
  private merged: MergedLines | undefined;
  /** The role bits of the fields that are kept (see field-roles.ts). */
  private readonly keptRoles: number;
  /** Readers of this file take the ">" off `>From ` lines (every mbox variant but mboxcl2, which escapes nothing). */
  private readonly unescapesFrom: boolean;

  constructor(
    private readonly ctx: MessageContext,
    fromLine: Line | undefined,
  ) {
    this.fromLine = fromLine;
    this.anchor = fromLine;
    this.keptRoles = ctx.origins ? -1 : ~Role.origin;
    this.unescapesFrom = ctx.variant !== Variant.mboxcl2 && ctx.variant !== Variant.message;
    // The From_ line is the mbox writer's, so it goes with the file's From_ lines.
    const fileEol = ctx.fileEol;
    if (fromLine && fileEol !== undefined && fromLine.eol !== Eol.none && fromLine.eol !== fileEol) {
      this.report('eol-mixed', fromLine, fromLine.offset + fromLine.length, fromLineEolDetail[fromLine.eol][fileEol]);
      this.fromLineEolMixed = true;
    }
  }

  /** `severity` is the rule's unless given (a rule whose weight depends on the file, e.g. its variant). */
  report(rule: RuleId, line: Line, offset: number, detail: string, severity?: Severity): void {
    if (!this.ctx.isEnabled(rule, severity)) return;
    // No rule can have reached the limit while the message has fewer findings than that.
    if (this.findings.length >= maxPerRulePerMessage && !this.countPerRule(rule)) return;
    this.findings.push({
      rule,
      severity: severity ?? ruleById.get(rule)!.severity,
      file: this.ctx.file,
      message: this.ctx.message,
      line: line.lineNo,
      offset,
      text: this.textOf(line),
      detail,
      fromLine: undefined,
      messageId: undefined,
    });
  }

  /** Counts one more finding of `rule`; false once it has reached its limit in this message. */
  private countPerRule(rule: string): boolean {
    if (!this.perRule) {
      this.perRule = new Map();
      for (const f of this.findings) this.perRule.set(f.rule, (this.perRule.get(f.rule) ?? 0) + 1);
    }
    const count = this.perRule.get(rule) ?? 0;
    if (count >= maxPerRulePerMessage) return false;
    this.perRule.set(rule, count + 1);
    return true;
  }

  /**
   * `showLine`, once for the findings of one line in a row (the first line has several).
   * By offset: the scanner's moving line is the same object for every line.
   */
  private textOf(line: Line): string {
    if (line.offset !== this.shownOffset) {
      this.shownOffset = line.offset;
      this.shownText = this.ctx.crLines ? showLine(line).replace(/␊/g, '␍') : showLine(line);
    }
    return this.shownText;
  }

  /** Tallies the line ending of a header line (see `eolFirst`). */
  private noteEol(line: SourceLine): void {
    const eol = line.eol;
    if (eol === Eol.none) return;
    if (this.eolMixed === undefined) {
      if (eol === this.eolFirst) {
        this.eolRun++;
        return;
      }
      if (this.eolFirst === undefined) {
        this.eolFirst = eol;
        this.eolRun = 1;
        this.eolRunBuf = line.buf;
        this.eolRunStart = line.start;
        this.eolRunEnd = line.end;
        this.eolRunOffset = line.offset;
        this.eolRunLineNo = line.lineNo;
        this.eolRunLength = line.length;
        return;
      }
      this.eolMixed = [];
    }
    if (eol === Eol.crlf) this.eolCrlf++;
    else this.eolLf++;
    if (this.eolMixed.length < maxMixedEolLines) this.eolMixed.push(line.pin());
  }

  /**
   * RFC 5321 §2.3.8 / RFC 5322 §2.1: in a header whose lines mostly end with CRLF, an
   * LF-only line has a bare LF; in one whose lines mostly end with LF (as an mbox stores
   * them), a CRLF line is the odd one out. A tie goes to the file's convention (CRLF for a
   * lone message: RFC 5322's). A header whose convention differs from the file's is said
   * once (a message copied in from elsewhere, or a header written apart from its body).
   */
  private judgeEol(): void {
    const first = this.eolFirst;
    if (first === undefined) return;
    const crlf = this.eolCrlf + (first === Eol.crlf ? this.eolRun : 0);
    const lf = this.eolLf + (first === Eol.lf ? this.eolRun : 0);
    const file = this.ctx.contentEol;
    const convention = crlf > lf ? Eol.crlf : lf > crlf ? Eol.lf : file === Eol.lf ? Eol.lf : Eol.crlf;
    // Nearly every header ends all its lines alike, and as the file does.
    if (this.eolMixed === undefined && convention === first && (file === first || (file !== Eol.lf && file !== Eol.crlf))) return;
    const runLine = this.eolRunLine(first);
    if (convention === Eol.crlf) {
      // Each bare LF is a place where readers disagree: one finding per line (but for the
      // first lines, when they all end so, which are told as one).
      if (first === Eol.lf) {
        const more = this.eolRun - 1;
        this.report('bare-lf', runLine, runLine.offset + runLine.length, more === 0 ? bareLfDetail : `${bareLfDetail}; so do the next ${more}`);
      }
      for (const line of this.eolMixed ?? []) if (line.eol === Eol.lf) this.report('bare-lf', line, line.offset + line.length, bareLfDetail);
    } else if (crlf > 0) {
      // CRLF lines in a header of LF lines are a copy's trace, not a place readers split
      // differently: one finding, at the first of them, with their number.
      const at = first === Eol.crlf ? runLine : this.eolMixed!.find((l) => l.eol === Eol.crlf)!;
      this.report('eol-mixed', at, at.offset + at.length, crlf === 1 ? crlfInLfDetail : `${crlfInLfDetail}; so do ${crlf - 1} more of its lines`);
    }
    // A whole entry, From_ line included, in the other convention was reported at its From_ line.
    const entryReported = this.fromLineEolMixed && this.fromLine!.eol === convention;
    if ((file === Eol.lf || file === Eol.crlf) && convention !== file && !entryReported) {
      // At the header's first line that ends as most do (the first to end otherwise than the first line, if that one is odd).
      const at = first === convention ? runLine : this.eolMixed![0]!;
      this.report('eol-mixed', at, at.offset + at.length, headerEolDetail[convention][file]);
    }
  }

  /** The header's first line that has a line end (kept as `eolRun…`). */
  private eolRunLine(eol: Eol): SourceLine {
    return new SourceLine(this.eolRunBuf!, this.eolRunStart, this.eolRunEnd, this.eolRunOffset, this.eolRunLineNo, this.eolRunLength, eol);
  }

  /**
   * One header line, with what `scanLineBytes` found in its bytes when the caller has it.
   * Returns false when the line cannot be part of a header (the body starts). The line may
   * be the scanner's moving line: it is pinned where it is kept.
   */
  addHeaderLine(line: SourceLine, bytes?: LineBytes): boolean {
    const c = classifyHeaderLine(line.buf, line.start, line.end);
    if (c.kind === LineKind.notHeader) return false;
    this.anchor ??= line.pin();
    this.headerLines++;
    this.headerBytes += line.length;
    this.noteEol(line);
    if (!bytes) scanLineBytes(line.buf, line.start, line.end, (bytes = scratchLineBytes));
    const encodedWordStart = checkLineBytes(this, line, bytes);
    const large = this.headerBytes > viewHeaderBytes;
    if (c.kind === LineKind.envelope) {
      this.report('envelope-in-header', line, line.offset, 'header line starting with "From ": mboxo readers split the message here');
      this.endField(large);
      this.current = undefined;
    } else if (c.kind === LineKind.continuation) {
      if (this.headerLines === 1) this.report('continuation-first', line, line.offset, 'the header starts with a continuation line');
      if (isBlankLine(line)) this.report('blank-continuation', line, line.offset, 'folded line with only white space');
      const field = this.current;
      if (field) {
        // A continuation line's first ":" may be a merged field's (Exim folds what follows a bare CR).
        const first = bytes.firstColon;
        const colon = first >= 0 && isWsp(line.buf[first + 1]) ? first : bytes.colonWsp;
        if (colon >= 0 && (field.role & Role.structured) === 0 && (this.merged ??= new MergedLines()).line(this, line, line.start, colon, field, true)) field.merged = true;
        if (large) field.settle();
        field.appendLine(line.buf, line.start, line.end, encodedWordStart);
      }
    } else {
      // A field name starting with ">" may be an escaped From field (see `unescapedFromField`).
      const from = line.buf[line.start] === 0x3e && this.unescapesFrom ? unescapedFromField(line.buf, line.start, line.end) : undefined;
      const name = from ?? c;
      const nameStart = from ? line.start + 1 : line.start;
      checkFieldName(this, line, name, line.offset + nameStart - line.start);
      this.endField(large);
      const kept = (name.role & this.keptRoles) !== 0;
      const field = kept ? new Field() : (this.spare ??= new Field());
      const valueStart = nameStart + name.colon + 1;
      this.current = field.begin(name, line, valueStart, encodedWordStart, large);
      field.unescaped = from !== undefined;
      // Structured fields are read whole at the header's end (`checkMergedValue`).
      if (bytes.colonWsp >= 0 && (name.role & Role.structured) === 0 && (this.merged ??= new MergedLines()).line(this, line, valueStart, bytes.colonWsp, name, false)) field.merged = true;
      if (kept && this.fields.length < maxFields) {
        this.fields.push(field);
        if ((name.role & Role.contentLength) !== 0) this.contentLengthField ??= field;
      }
    }
    return true;
  }

  /** The current field is complete: settled in a large header, kept if it must be checked after all. */
  private endField(large: boolean): void {
    const field = this.current;
    if (!field) return;
    if (large) field.settle();
    if (field === this.spare && field.mayHaveEncodedWord()) {
      this.spare = undefined;
      if (this.fields.length < maxFields) this.fields.push(field);
    }
  }

  /** The header ended; `separated` is false when no empty line ended it. */
  endHeader(separated: boolean, at: SourceLine | undefined): void {
    // The empty line that ends a header is the header's too (RFC 5322 §2.1).
    if (separated && at?.length === 0) this.noteEol(at);
    this.judgeEol();
    this.endField(false);
    this.current = undefined;
    const anchor = this.anchor ?? at;
    if (!separated && at) this.report('no-body-separator', at, at.offset, 'the header is not followed by an empty line');
    if (!anchor) return;
    // The value checks first: what they find out spares `checkHeaderBlock` some reading
    // (`Field.noColonSpace`). The findings are sorted at `finish`, so the order is free.
    checkFieldValues(this, this.fields);
    if (fieldRules.length > 0) this.checkFieldRules(anchor);
    this.merged?.end(this, this.fields);
    checkHeaderBlock(this, this.fields, anchor, this.fromLine);
    const cl = this.contentLengthField;
    if (cl && /^\s*\d+\s*$/.test(cl.value)) {
      this.contentLength = Number(cl.value);
      this.contentLengthLine = cl;
    }
  }

  /** The rule modules with checks of their own, each with the kept fields it names. */
  private checkFieldRules(anchor: Line): void {
    for (const f of this.fields) {
      if ((f.role & Role.checked) === 0) continue;
      const rules = rulesByField.get(f.lower);
      if (rules) for (let i = 0; i < rules.length; i++) fieldsOfRule[rules[i]!]!.push(f);
    }
    for (let i = 0; i < fieldRules.length; i++) {
      const found = fieldsOfRule[i]!;
      fieldRules[i]!.check(found, this, anchor);
      // Emptied by `pop`, which compiles inline: `length = 0` is a call into the engine per rule and header.
      while (found.length > 0) found.pop();
    }
  }

  /** The line after the From_ line was checked by the scanner (it may be empty). */
  fromNotFollowedByHeader(): void {
    if (this.fromLine) this.report('from-not-followed-by-header', this.fromLine, this.fromLine.offset, 'the line after the From_ line is not a header field');
  }

  /**
   * True when the header has a Content-Length that fits a body of `bodyLength` octets (up to
   * the empty line that ends the message, or up to the next From_ line when there is none),
   * ended by a line end of `lineEnd` octets (that empty line's, or the body's last line's).
   * Writers differ by one line end, either way: mboxcl writers count the body without the
   * empty line, some count it, and others (Netscape's, whose messages are not followed by an
   * empty line) leave out the body's last line end, so the length points at "\nFrom ". Such a
   * difference only restates where the empty line is (`from-not-after-blank`).
   */
  contentLengthFits(bodyLength: number, lineEnd: number): boolean {
    const cl = this.contentLength;
    return cl !== undefined && (cl === bodyLength || cl === bodyLength - lineEnd || cl === bodyLength + lineEnd);
  }

  /**
   * The body's length as the separators delimit it (see `contentLengthFits`). Content-Length
   * is what mboxcl and mboxcl2 files are split by; in other files only the readers that trust
   * it go wrong, so there a mismatch is a warning.
   */
  checkContentLength(bodyLength: number, lineEnd: number): void {
    const line = this.contentLengthLine;
    if (this.contentLength === undefined || !line || this.contentLengthFits(bodyLength, lineEnd)) return;
    const variant = this.ctx.variant;
    const split = variant === Variant.mboxcl || variant === Variant.mboxcl2;
    const detail = `Content-Length: ${this.contentLength} but the body has ${bodyLength} octets`;
    if (split) this.report('content-length-mismatch', line, line.offset, detail);
    else this.report('content-length-mismatch', line, line.offset, `${detail} (this ${variant} file is not split by it, but readers that trust it split elsewhere)`, Severity.warning);
  }

  get messageId(): string | undefined {
    return this.fields.find((f) => (f.role & Role.messageId) !== 0)?.value.trim();
  }

  origin(): OriginFields {
    const value = (name: string) => this.fields.find((f) => f.lower === name)?.value.trim();
    const from = value('from');
    const senderDomain = from === undefined ? undefined : /@([^\s>@,;"]+)/.exec(from)?.[1]?.toLowerCase().replace(/\.$/, '');
    const mailer = value('x-mailer') ?? value('user-agent');
    const listId = value('list-id');
    const received = this.fields.filter((f) => f.lower === 'received').at(-1)?.value;
    return {
      senderDomain,
      mailer: mailer === undefined ? undefined : mailerName(mailer).slice(0, 60),
      listId: listId === undefined ? undefined : (/<([^>]*)>/.exec(listId)?.[1] ?? listId).slice(0, 80),
      receivedFrom: received === undefined ? undefined : connectingHost(received),
    };
  }

  /** The findings in file order, with the message's From_ line and Message-ID filled in. */
  finish(): Finding[] {
    if (this.findings.length === 0) return this.findings;
    const fromLine = this.fromLine ? this.textOf(this.fromLine) : undefined;
    const messageId = this.messageId;
    for (const f of this.findings) {
      f.fromLine = fromLine;
      f.messageId = messageId;
    }
    return sortFindings(this.findings);
  }
}
