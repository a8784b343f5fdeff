import type { Field, RuleSink } from '../field.js';
import { AddrSpecScan, describe } from './addr-spec.js';
import { isPlainMessageId } from './plain-values.js';
import { bytesOf, langle, rangle, scratch, skipCfws, textOf } from './value-lexer.js';

/**
 * The Message-ID field (RFC 5322 §3.6.4): `[CFWS] "<" id-left "@" id-right ">" [CFWS]`,
 * id-left a dot-atom-text, id-right a dot-atom-text or a no-fold-literal. The obsolete forms
 * (obs-id-left is a local-part, obs-id-right a domain: quoted strings, CFWS inside the
 * brackets, §4.5.4) are accepted and noted.
 */
export interface MessageIdCheck {
  readonly problem: string | undefined;
  /** What makes the id obsolete syntax, when it is valid only so. */
  readonly obsolete: string | undefined;
}

const validId: MessageIdCheck = Object.freeze({ problem: undefined, obsolete: undefined });

const scan = new AddrSpecScan();

/** The full grammar, obsolete forms included, on the value's bytes. */
function messageIdGrammar(b: Uint8Array, start: number, n: number): MessageIdCheck {
  const value = textOf(b, start, n);
  const invalid = (why: string): MessageIdCheck => ({ problem: `"${value.slice(0, 80)}" is not <id-left@id-right>: ${why}`, obsolete: undefined });
  const i = skipCfws(b, start, n);
  if (i < 0) return invalid('a comment is not closed');
  if (i === n) return invalid('it is empty');
  if (b[i] !== langle) return invalid('no "<"');
  const end = scan.reset().end(b, i + 1, n);
  if (end < 0) return invalid(scan.reason);
  if (end === n) return invalid('no ">"');
  if (b[end] !== rangle) return invalid(`${describe(b, end)} where ">" should be`);
  const after = skipCfws(b, end + 1, n);
  if (after < 0) return invalid('a comment is not closed');
  if (after < n) return invalid('text after ">"');
  const obsolete: string[] = [];
  if (scan.quoted) obsolete.push('a quoted id-left');
  if (scan.cfws) obsolete.push('white space or a comment inside "<…>"');
  if (scan.literalSpace || scan.obsLiteral) obsolete.push('white space or an escape in the [literal] id-right');
  return obsolete.length === 0 ? validId : { problem: undefined, obsolete: `"${value.slice(0, 80)}": ${obsolete.join('; ')}` };
}

export function checkMessageId(value: string): MessageIdCheck {
  const { buf, start, end } = bytesOf(value);
  return isPlainMessageId(buf, start, end) ? validId : messageIdGrammar(buf, start, end);
}

/** `checkMessageId` without its fast path. */
export function fullMessageIdCheck(value: string): MessageIdCheck {
  const { buf, start, end } = bytesOf(value);
  return messageIdGrammar(buf, start, end);
}

/** The Message-ID field's findings: `message-id-invalid`, or else `message-id-obsolete`. */
export function checkMessageIdField(sink: RuleSink, f: Field): void {
  const { buf, start, end } = f.valueBytes(scratch);
  f.noColonSpace = isPlainMessageId(buf, start, end);
  if (f.noColonSpace) return;
  const { problem, obsolete } = messageIdGrammar(buf, start, end);
  if (problem !== undefined) sink.report('message-id-invalid', f.line, f.line.offset, problem);
  else if (obsolete !== undefined) sink.report('message-id-obsolete', f.line, f.line.offset, obsolete);
}
