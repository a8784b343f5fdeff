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
