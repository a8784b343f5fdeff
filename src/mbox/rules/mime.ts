import type { Field, RuleSink } from '../field.js';
import { isPlainMime, transferEncodings } from './plain-values.js';
import { bytesOf, scratch, stripComments } from './value-lexer.js';

/** MIME header fields: RFC 2045 §4 (MIME-Version), §5.1 (Content-Type), §6.1 (Content-Transfer-Encoding). */

const token = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const contentType = new RegExp(`^(${token})/(${token})\\s*((?:;\\s*(?:${token}\\s*=\\s*(?:${token}|"(?:[^"\\\\]|\\\\.)*")\\s*)?)*)$`, 's');
const encodings: ReadonlySet<string> = new Set(transferEncodings);

export function isPlainMimeValue(nameLower: string, value: string): boolean {
  const { buf, start, end } = bytesOf(value);
  return isPlainMime(nameLower, buf, start, end);
}

export function checkMimeField(nameLower: string, value: string): string | undefined {
  return isPlainMimeValue(nameLower, value) ? undefined : fullMimeCheck(nameLower, value);
}

/** `checkMimeField` without its fast paths: comments removed, then the RFC 2045 grammar. */
export function fullMimeCheck(nameLower: string, value: string): string | undefined {
  const s = stripComments(value).trim();
  if (nameLower === 'mime-version') return /^1\s*\.\s*0$/.test(s) ? undefined : `MIME-Version "${s}" is not 1.0`;
  if (nameLower === 'content-transfer-encoding') {
    const v = s.toLowerCase();
    return encodings.has(v) || /^x-[\w.-]+$/.test(v) ? undefined : `unknown Content-Transfer-Encoding "${s}"`;
  }
  const m = contentType.exec(s);
  if (!m) return `Content-Type "${s.slice(0, 80)}" is not type/subtype; parameters`;
  if (m[1]!.toLowerCase() === 'multipart' && !/;\s*boundary\s*=/i.test(m[3]!)) return 'multipart Content-Type without a boundary parameter';
  return undefined;
}

/** `mime-header-invalid` of a MIME field. */
export function checkMimeFieldValue(sink: RuleSink, f: Field): void {
  const { buf, start, end } = f.valueBytes(scratch);
  let problem: string | undefined;
  if (isPlainMime(f.lower, buf, start, end)) {
    // A plain Content-Type may have ": " in a quoted parameter value.
    f.noColonSpace = f.lower !== 'content-type';
  } else {
    problem = fullMimeCheck(f.lower, f.value);
  }
  if (problem !== undefined) sink.report('mime-header-invalid', f.line, f.line.offset, problem);
}
