import { AddrSpecScan, describe } from './addr-spec.js';
import { langle, rangle, skipCfws } from './value-lexer.js';

/**
 * The Message-ID field (RFC 5322 §3.6.4): `[CFWS] "<" id-left "@" id-right ">" [CFWS]`,
 * id-left a dot-atom-text, id-right a dot-atom-text or a no-fold-literal. The obsolete forms
 * (obs-id-left is a local-part, obs-id-right a domain: quoted strings, CFWS inside the
 * brackets, §4.5.4) are accepted and noted. This is the grammar for the ids that the fast
 * path (values.ts) does not take.
 */
export interface MessageIdCheck {
  readonly problem: string | undefined;
  /** What makes the id obsolete syntax, when it is valid only so. */
  readonly obsolete: string | undefined;
}

/** What the check says of a valid, current id: shared, so not to be changed. */
export const validId: MessageIdCheck = Object.freeze({ problem: undefined, obsolete: undefined });

const scan = new AddrSpecScan();

/** The full grammar, obsolete forms included, on the value's unfolded text. */
export function fullMessageIdCheck(value: string): MessageIdCheck {
  const why = idProblem(value);
  if (why !== undefined) return { problem: `"${value.trim().slice(0, 80)}" is not <id-left@id-right>: ${why}`, obsolete: undefined };
  const obsolete: string[] = [];
  if (scan.quoted) obsolete.push('a quoted id-left');
  if (scan.cfws) obsolete.push('white space or a comment inside "<…>"');
  if (scan.literalSpace || scan.obsLiteral) obsolete.push('white space or an escape in the [literal] id-right');
  return obsolete.length === 0 ? validId : { problem: undefined, obsolete: `"${value.trim().slice(0, 80)}": ${obsolete.join('; ')}` };
}

/** Why `s` is no msg-id, or undefined when it is one (`scan` then says what it holds). */
function idProblem(s: string): string | undefined {
  const i = skipCfws(s, 0);
  if (i < 0) return 'a comment is not closed';
  if (i === s.length) return 'it is empty';
  if (s.charCodeAt(i) !== langle) return 'no "<"';
  const end = scan.reset().end(s, i + 1);
  if (end < 0) return scan.reason;
  if (end === s.length) return 'no ">"';
  if (s.charCodeAt(end) !== rangle) return `${describe(s, end)} where ">" should be`;
  const after = skipCfws(s, end + 1);
  if (after < 0) return 'a comment is not closed';
  return after < s.length ? 'text after ">"' : undefined;
}
