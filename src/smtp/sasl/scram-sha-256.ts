import { createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

/**
 * SCRAM-SHA-256 (RFC 7677, the SHA-256 form of RFC 5802), both sides and without I/O: the
 * client proves it knows the password without sending it, and the server proves the same
 * back with its signature, which the client must check (RFC 5802 §5). No channel binding
 * (the gs2 header is "n,,"): the -PLUS variant is not offered. Messages are text; the
 * base64 of AUTH (RFC 4954 §4) is the caller's.
 *
 * Normalisation: RFC 5802 §2.2 asks for SASLprep (RFC 4013) of the password; this applies
 * its core, Unicode NFKC, which leaves ASCII passwords as they are.
 */
const GS2_HEADER = 'n,,';

export class ScramError extends Error {}

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();
const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((byte, i) => byte ^ b[i]!));

/** RFC 5802 §5.1: "," and "=" in a user name are written =2C and =3D. */
export function escapeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function unescapeSaslName(name: string): string | undefined {
  if (/=(?!2C|3D)/.test(name)) return undefined;
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** The keys a server stores instead of the password (RFC 5802 §3). */
export interface ScramKeys {
  storedKey: Buffer;
  serverKey: Buffer;
}

export interface ScramSalt {
  salt: Buffer;
  iterations: number;
}

function saltedPassword(password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, iterations, 32, 'sha256');
}

/** What a server keeps for a user: derived once from the password, salt and iteration count. */
export function scramKeys(password: string, { salt, iterations }: ScramSalt): ScramKeys {
  const salted = saltedPassword(password, salt, iterations);
  return { storedKey: sha256(hmac(salted, 'Client Key')), serverKey: hmac(salted, 'Server Key') };
}

/** "a=1,b=2" → Map; RFC 5802 §5.1 attributes are one letter each. */
function attributes(message: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) map.set(part[0]!, part.slice(2));
  }
  return map;
}

// ---------------------------------------------------------------- client

export interface ScramClientStart {
  /** client-first-message, the initial response. */
  message: string;
  bare: string;
  nonce: string;
}

/** `nonce`: printable ASCII without "," (RFC 5802 §5.1), fresh for every exchange. */
export function scramClientFirst(user: string, nonce: string): ScramClientStart {
  const bare = `n=${escapeSaslName(user.normalize('NFKC'))},r=${nonce}`;
  return { message: GS2_HEADER + bare, bare, nonce };
}

export interface ScramClientFinal {
  /** client-final-message, proof included: a secret. */
  message: string;
  /** What the server's v= must be. */
  serverSignature: Buffer;
}

/**
 * The client-final-message for the server-first-message, after the checks RFC 5802 §5.1
 * asks for: the nonce starts with the client's, the salt and the iteration count are there,
 * and no mandatory extension (m=) is asked for.
 */
export function scramClientFinal(start: ScramClientStart, serverFirst: string, password: string): ScramClientFinal {
  const attrs = attributes(serverFirst);
  if (attrs.has('m')) throw new ScramError('the server asks for a mandatory SCRAM extension (m=), which is not supported');
  if (attrs.has('e')) throw new ScramError(`the server ended the exchange: e=${attrs.get('e')}`);
  const nonce = attrs.get('r');
  const salt = attrs.get('s');
  const iterations = Number(attrs.get('i'));
  if (!nonce || !nonce.startsWith(start.nonce) || nonce.length === start.nonce.length) {
    throw new ScramError("the server's nonce does not extend the client's (RFC 5802 §5.1)");
  }
  if (!salt || !Number.isInteger(iterations) || iterations < 1) throw new ScramError('the server-first-message lacks a salt (s=) or an iteration count (i=)');
  const salted = saltedPassword(password, Buffer.from(salt, 'base64'), iterations);
  const clientKey = hmac(salted, 'Client Key');
  const withoutProof = `c=${Buffer.from(GS2_HEADER).toString('base64')},r=${nonce}`;
  const authMessage = `${start.bare},${serverFirst},${withoutProof}`;
  const proof = xor(clientKey, hmac(sha256(clientKey), authMessage));
  return { message: `${withoutProof},p=${proof.toString('base64')}`, serverSignature: hmac(hmac(salted, 'Server Key'), authMessage) };
}

/** RFC 5802 §5.1: the server-final-message must carry v= equal to the expected signature. */
export function verifyServerFinal(final: ScramClientFinal, serverFinal: string): { ok: true } | { ok: false; why: string } {
  const attrs = attributes(serverFinal);
  if (attrs.has('e')) return { ok: false, why: `the server refused the proof: e=${attrs.get('e')}` };
  const v = attrs.get('v');
  if (v === undefined) return { ok: false, why: 'the server-final-message has no signature (v=)' };
  const given = Buffer.from(v, 'base64');
  if (given.length !== final.serverSignature.length || !timingSafeEqual(given, final.serverSignature)) {
    return { ok: false, why: "the server's signature is wrong: it does not know the password, or something changed the exchange" };
  }
  return { ok: true };
}

// ---------------------------------------------------------------- server

export interface ScramServerState {
  user: string;
  clientFirstBare: string;
  serverFirst: string;
  nonce: string;
}

/** The user a client-first-message names, before the server looks up its salt. */
export function scramClientFirstUser(clientFirst: string): string | undefined {
  const match = /^[ny],(?:a=[^,]*)?,(n=[^,]*,r=[^,]+.*)$/.exec(clientFirst);
  if (!match) return undefined;
  const name = attributes(match[1]!).get('n');
  return name === undefined ? undefined : unescapeSaslName(name);
}

/**
 * The server-first-message for a client-first-message. `serverNonce` is fresh per exchange.
 * Throws ScramError for a message that is not one (channel binding "p=" is not offered).
 */
export function scramServerFirst(clientFirst: string, salt: ScramSalt, serverNonce: string): { message: string; state: ScramServerState } {
  const match = /^([ny]),(?:a=[^,]*)?,(n=[^,]*,r=[^,]+.*)$/.exec(clientFirst);
  if (!match) throw new ScramError('not a client-first-message (or it asks for channel binding, which is not offered)');
  const bare = match[2]!;
  const attrs = attributes(bare);
  const user = unescapeSaslName(attrs.get('n') ?? '');
  const clientNonce = attrs.get('r')!;
  if (user === undefined || user === '') throw new ScramError('the client-first-message has no valid user name');
  const nonce = clientNonce + serverNonce;
  const message = `r=${nonce},s=${salt.salt.toString('base64')},i=${salt.iterations}`;
  return { message, state: { user, clientFirstBare: bare, serverFirst: message, nonce } };
}

/**
 * The server's check of the client-final-message: the proof against the stored key
 * (RFC 5802 §3), and the server-final-message to send (v=signature, or e=…).
 */
export function scramServerFinal(state: ScramServerState, clientFinal: string, keys: ScramKeys): { ok: boolean; message: string } {
  const proofAt = clientFinal.lastIndexOf(',p=');
  if (proofAt === -1) return { ok: false, message: 'e=invalid-encoding' };
  const withoutProof = clientFinal.slice(0, proofAt);
  const attrs = attributes(withoutProof);
  if (attrs.get('r') !== state.nonce) return { ok: false, message: 'e=other-error' };
  if (attrs.get('c') !== Buffer.from(GS2_HEADER).toString('base64') && attrs.get('c') !== Buffer.from('y,,').toString('base64')) {
    return { ok: false, message: 'e=channel-bindings-dont-match' };
  }
  const authMessage = `${state.clientFirstBare},${state.serverFirst},${withoutProof}`;
  const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
  if (proof.length !== 32) return { ok: false, message: 'e=invalid-proof' };
  const clientKey = xor(proof, hmac(keys.storedKey, authMessage));
  if (!timingSafeEqual(sha256(clientKey), keys.storedKey)) return { ok: false, message: 'e=invalid-proof' };
  return { ok: true, message: `v=${hmac(keys.serverKey, authMessage).toString('base64')}` };
}
