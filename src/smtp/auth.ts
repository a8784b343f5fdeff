import { isCommandSpace } from './command-verb.js';

/**
 * SASL payloads for AUTH (RFC 4954) with PLAIN (RFC 4616) and LOGIN (the de-facto
 * draft-murchison-sasl-login mechanism). Pure functions: the session decides when to send.
 * `AuthMechanism` is what `serve` accepts and `:auth` takes; the client's full set
 * (CRAM-MD5, SCRAM-SHA-256, XOAUTH2 too) is in sasl/client.ts.
 */
export const AuthMechanism = { plain: 'PLAIN', login: 'LOGIN' } as const;
export type AuthMechanism = (typeof AuthMechanism)[keyof typeof AuthMechanism];

export function parseAuthMechanism(value: string): AuthMechanism | undefined {
  const upper = value.toUpperCase();
  return upper === 'PLAIN' || upper === 'LOGIN' ? upper : undefined;
}

/** RFC 4616 §2: authzid NUL authcid NUL passwd, base64 encoded (RFC 4954 §4). */
export function plainInitialResponse(user: string, password: string): string {
  return Buffer.from(`\0${user}\0${password}`, 'utf8').toString('base64');
}

export function base64Utf8(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/**
 * A 334 challenge is base64 (RFC 4954 §4). Servers that put plain text there break clients,
 * so we say when the text is not valid base64 instead of decoding it into noise.
 */
export function decodeChallenge(text: string): { decoded: string; base64: boolean } {
  const trimmed = text.trim();
  if (trimmed === '') return { decoded: '', base64: true };
  if (trimmed.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) {
    return { decoded: trimmed, base64: false };
  }
  return { decoded: Buffer.from(trimmed, 'base64').toString('utf8'), base64: true };
}

const AUTH = [0x41, 0x55, 0x54, 0x48];

/**
 * Where the secret of an AUTH command line starts: after the verb, the mechanism and the
 * white space that follows it (RFC 4954 §4: the optional initial response). The line is
 * split as servers split it: Postfix accepts tabs and any other white space between the
 * words and before the verb, and verbs in any case, so `AUTH<TAB>PLAIN<TAB>payload` and
 * `auth plain payload` are AUTH commands with a secret. `line` is without its LF.
 *
 * Returns the offset where the secret starts, null when the line holds none, and
 * undefined when it cannot tell yet (`complete` false: more of the line is to come).
 */
export function authSecretStart(line: Uint8Array, complete = true): number | null | undefined {
  let i = 0;
  while (i < line.length && isCommandSpace(line[i]!)) i++;
  for (let k = 0; k < AUTH.length; k++, i++) {
    if (i === line.length) return complete ? null : undefined;
    if ((line[i]! & 0xdf) !== AUTH[k]) return null;
  }
  if (i === line.length) return complete ? null : undefined;
  if (!isCommandSpace(line[i]!)) return null;
  while (i < line.length && isCommandSpace(line[i]!)) i++;
  while (i < line.length && !isCommandSpace(line[i]!)) i++;
  if (i === line.length) return complete ? null : undefined;
  return i + 1;
}

/**
 * Which of a client's lines hold AUTH secrets, so that transcripts and the screen show
 * `<redacted>` instead (secrets are redacted unless --show-secrets). The bytes on the
 * wire are untouched; only what is recorded changes. The verb and mechanism ("AUTH
 * PLAIN") are kept so the transcript still says what happened.
 *
 * RFC 4954 §4: the optional initial response after `AUTH <mechanism>` is a secret, and so is
 * every line the client sends while the server keeps answering 334. `inAuthExchange` is true
 * while the AUTH exchange is waiting for such a line (the last reply was a 334). Returns
 * what events record instead of the line, or undefined when the line holds no secret.
 */
export function redactAuthLine(line: Buffer, terminator: Buffer, inAuthExchange: boolean, marker = '<redacted>'): Buffer | undefined {
  if (inAuthExchange) return Buffer.concat([Buffer.from(marker, 'latin1'), terminator]);
  const start = authSecretStart(line);
  if (start === null || start === undefined || start >= line.length) return undefined;
  return Buffer.concat([line.subarray(0, start), Buffer.from(marker, 'latin1'), terminator]);
}
