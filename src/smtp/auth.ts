/**
 * SASL payloads for AUTH (RFC 4954) with PLAIN (RFC 4616) and LOGIN (the de-facto
 * draft-murchison-sasl-login mechanism). Pure functions: the session decides when to send.
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

/**
 * Which of a client's lines hold AUTH secrets, so that transcripts and the screen show
 * `<redacted>` instead (design.md: secrets are redacted unless --show-secrets). The bytes
 * on the wire are untouched; only what is recorded changes. The verb and mechanism
 * ("AUTH PLAIN") are kept so the transcript still says what happened.
 *
 * RFC 4954 §4: the optional initial response after `AUTH <mechanism>` is a secret, and so is
 * every line the client sends while the server keeps answering 334. `inAuthExchange` is true
 * while the AUTH exchange is waiting for such a line (the last reply was a 334). Returns
 * what events record instead of the line, or undefined when the line holds no secret.
 */
export function redactAuthLine(line: Buffer, terminator: Buffer, inAuthExchange: boolean): Buffer | undefined {
  if (inAuthExchange) return Buffer.concat([Buffer.from('<redacted>', 'latin1'), terminator]);
  const text = line.toString('latin1');
  const words = text.split(' ');
  if ((words[0] ?? '').toUpperCase() !== 'AUTH' || words.length < 3) return undefined;
  return Buffer.concat([Buffer.from(`${words[0]} ${words[1]} <redacted>`, 'latin1'), terminator]);
}
