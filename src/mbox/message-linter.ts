import { Field, type RuleSink } from './field.js';
import { showLine, type Line, type SourceLine } from './line.js';
import { ruleById } from './rules/catalog.js';
import { Role } from './rules/field-roles.js';
import { checkFieldName, checkHeaderBlock, checkLineBytes, classifyHeaderLine, LineBytes, LineKind, scanLineBytes } from './rules/header-bytes.js';
import { checkFieldValues } from './rules/values.js';
import { connectingHost, mailerName } from './group-by.js';
import { Eol, type Finding, type OriginFields } from './types.js';

export interface MessageContext {
  file: string;
  message: number;
  /** The file's line-ending convention, for `eol-mixed`; undefined for a lone message. */
  fileEol: Eol | undefined;
  isEnabled(rule: string): boolean;
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

/** `eol-mixed` details by the line's and the file's line ending, made once (see `missing` in header-bytes.ts). */
const eolMixedDetail = Object.fromEntries(
  Object.values(Eol).map((line) => [line, Object.fromEntries(Object.values(Eol).map((file) => [file, `line ends with ${line.toUpperCase()} in a file whose lines end with ${file.toUpperCase()}`]))]),
) as Record<Eol, Record<Eol, string>>;

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
  private messageEol: Eol | undefined;
  private eolMixedReported = false;
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
  /** The role bits of the fields that are kept (see field-roles.ts). */
  private readonly keptRoles: number;

  constructor(
    private readonly ctx: MessageContext,
    fromLine: Line | undefined,
  ) {
    this.fromLine = fromLine;
    this.anchor = fromLine;
    this.keptRoles = ctx.origins ? -1 : ~Role.origin;
    if (fromLine) this.noteEol(fromLine);
  }

  report(rule: string, line: Line, offset: number, detail: string): void {
    if (!this.ctx.isEnabled(rule)) return;
    // No rule can have reached the limit while the message has fewer findings than that.
    if (this.findings.length >= maxPerRulePerMessage && !this.countPerRule(rule)) return;
    this.findings.push({
      rule,
      severity: ruleById.get(rule)!.severity,
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
      this.shownText = showLine(line);
    }
    return this.shownText;
  }

  /**
   * RFC 5321 §2.3.8 / RFC 5322 §2.1: a header that mostly ends lines with CRLF but has
   * LF-only lines has bare LFs; a message whose convention differs from the file's was
   * copied in from elsewhere.
   */
  private noteEol(line: Line): void {
    if (line.eol === 'none') return;
    this.messageEol ??= line.eol;
    if (this.messageEol === 'crlf' && line.eol === 'lf') {
      this.report('bare-lf', line, line.offset + line.length, 'LF-only line end in a header whose lines end with CRLF');
    } else if (this.ctx.fileEol !== undefined && line.eol !== this.ctx.fileEol && !this.eolMixedReported) {
      this.eolMixedReported = true;
      this.report('eol-mixed', line, line.offset + line.length, eolMixedDetail[line.eol][this.ctx.fileEol]);
    }
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
      if (this.current) {
        if (large) this.current.settle();
        this.current.appendLine(line.buf, line.start, line.end, encodedWordStart);
      }
    } else {
      checkFieldName(this, line, c);
      this.endField(large);
      const kept = (c.role & this.keptRoles) !== 0;
      const field = kept ? new Field() : (this.spare ??= new Field());
      this.current = field.begin(c, line, line.start + c.colon + 1, encodedWordStart, large);
      if (kept && this.fields.length < maxFields) this.fields.push(field);
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
  endHeader(separated: boolean, at: Line | undefined): void {
    this.endField(false);
    this.current = undefined;
    const anchor = this.anchor ?? at;
    if (!separated && at) this.report('no-body-separator', at, at.offset, 'the header is not followed by an empty line');
    if (!anchor) return;
    // The value checks first: what they find out spares `checkHeaderBlock` some reading
    // (`Field.noColonSpace`). The findings are sorted at `finish`, so the order is free.
    checkFieldValues(this, this.fields, anchor);
    checkHeaderBlock(this, this.fields, anchor);
    const cl = this.fields.find((f) => (f.role & Role.contentLength) !== 0);
    if (cl && /^\s*\d+\s*$/.test(cl.value)) {
      this.contentLength = Number(cl.value);
      this.contentLengthLine = cl;
    }
  }

  /** The line after the From_ line was checked by the scanner (it may be empty). */
  fromNotFollowedByHeader(): void {
    if (this.fromLine) this.report('from-not-followed-by-header', this.fromLine, this.fromLine.offset, 'the line after the From_ line is not a header field');
  }

  /**
   * The body's length as the separators delimit it. mboxcl writers count the body without
   * the empty line that ends the message; some count it, so both are accepted.
   */
  checkContentLength(bodyLength: number, trailingBlank: number): void {
    if (this.contentLength === undefined || !this.contentLengthLine) return;
    if (this.contentLength === bodyLength || this.contentLength === bodyLength + trailingBlank) return;
    this.report('content-length-mismatch', this.contentLengthLine, this.contentLengthLine.offset, `Content-Length: ${this.contentLength} but the body has ${bodyLength} octets`);
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
