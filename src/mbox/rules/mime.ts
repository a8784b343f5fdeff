import { stripComments } from './value-lexer.js';

/**
 * The grammars of the MIME header fields, RFC 2045 §4 (MIME-Version), §5.1 (Content-Type),
 * §6.1 (Content-Transfer-Encoding), for the values that the fast path (values.ts) does not take.
 */

export const transferEncodings = ['7bit', '8bit', 'binary', 'quoted-printable', 'base64'] as const;

const token = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const contentType = new RegExp(`^(${token})/(${token})\\s*((?:;\\s*(?:${token}\\s*=\\s*(?:${token}|"(?:[^"\\\\]|\\\\.)*")\\s*)?)*)$`, 's');
const encodings: ReadonlySet<string> = new Set(transferEncodings);

/** Comments removed, then the RFC 2045 grammar. */
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
