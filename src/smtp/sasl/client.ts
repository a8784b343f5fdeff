import { decodeChallenge, plainInitialResponse } from '../auth.js';
import { cramMd5Response } from './cram-md5.js';
import { ScramError, scramClientFinal, scramClientFirst, verifyServerFinal, type ScramClientFinal } from './scram-sha-256.js';
import { xoauth2InitialResponse } from './xoauth2.js';

/**
 * The client side of every AUTH mechanism (RFC 4954), one state machine per exchange:
 * an optional initial response, then one answer per 334 challenge, all base64. No I/O:
 * the session sends what this returns and feeds back what the server answered.
 */
export const ClientMechanisms = ['SCRAM-SHA-256', 'CRAM-MD5', 'PLAIN', 'LOGIN', 'XOAUTH2'] as const;
export type ClientMechanism = (typeof ClientMechanisms)[number];

export function parseClientMechanism(value: string): ClientMechanism | undefined {
  const upper = value.toUpperCase();
  return (ClientMechanisms as readonly string[]).includes(upper) ? (upper as ClientMechanism) : undefined;
}

/** The exchange cannot go on: the client cancels it with "*" (RFC 4954 §4) and reports `message`. */
export class SaslAbort extends Error {}

export interface SaslClient {
  readonly mechanism: ClientMechanism;
  /** The base64 initial response sent with AUTH, if the mechanism has one. */
  readonly initialResponse: string | undefined;
  /** The base64 answer to a 334 challenge (its text as received). Throws SaslAbort to cancel. */
  respond(challenge: string): string;
  /** The server said 235. Throws SaslAbort when the mechanism needed more from the server first. */
  succeeded(): void;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/**
 * `secret` is the password, or for XOAUTH2 the bearer token. `nonce` (SCRAM) is fresh
 * random printable ASCII without ",", from the caller so that this stays deterministic.
 */
export function saslClient(mechanism: ClientMechanism, user: string, secret: string, nonce: string): SaslClient {
  switch (mechanism) {
    case 'PLAIN': {
      const payload = plainInitialResponse(user, secret);
      // A server that does not take an initial response asks with an empty 334 (RFC 4954 §4).
      return { mechanism, initialResponse: payload, respond: () => payload, succeeded: () => undefined };
    }
    case 'LOGIN': {
      let step = 0;
      return { mechanism, initialResponse: undefined, respond: () => b64(step++ === 0 ? user : secret), succeeded: () => undefined };
    }
    case 'CRAM-MD5':
      return {
        mechanism,
        initialResponse: undefined,
        respond: (challenge) => {
          const { decoded, base64 } = decodeChallenge(challenge);
          if (!base64) throw new SaslAbort(`CRAM-MD5: the challenge is not base64 (RFC 4954 §4): ${JSON.stringify(decoded)}`);
          return b64(cramMd5Response(user, secret, decoded));
        },
        succeeded: () => undefined,
      };
    case 'XOAUTH2':
      // A second 334 carries the server's JSON error; the empty answer lets it send its 535.
      return { mechanism, initialResponse: b64(xoauth2InitialResponse(user, secret)), respond: () => '', succeeded: () => undefined };
    case 'SCRAM-SHA-256':
      return scramClient(user, secret, nonce);
  }
}

function scramClient(user: string, password: string, nonce: string): SaslClient {
  const start = scramClientFirst(user, nonce);
  let final: ScramClientFinal | undefined;
  let verified = false;
  const fail = (why: string): never => {
    throw new SaslAbort(`SCRAM-SHA-256: ${why}`);
  };
  return {
    mechanism: 'SCRAM-SHA-256',
    initialResponse: b64(start.message),
    respond: (challenge) => {
      const { decoded, base64 } = decodeChallenge(challenge);
      if (!base64) fail(`the challenge is not base64 (RFC 4954 §4): ${JSON.stringify(decoded)}`);
      if (!final) {
        try {
          final = scramClientFinal(start, decoded, password);
        } catch (error) {
          if (error instanceof ScramError) fail(error.message);
          throw error;
        }
        return b64(final.message);
      }
      if (verified) fail('a challenge after the server-final-message');
      const check = verifyServerFinal(final, decoded);
      if (!check.ok) fail(`${check.why} (RFC 5802 §5.1); authentication abandoned`);
      verified = true;
      return '';
    },
    succeeded: () => {
      // RFC 5802 §5: the client must check the server's signature before it trusts the session.
      if (!verified) fail("the server said 235 without sending its signature (v=), so it never proved it knows the password");
    },
  };
}

/**
 * `--auth` without a mechanism: XOAUTH2 when the user gave a token and the server offers
 * it, otherwise the strongest password mechanism offered — SCRAM-SHA-256 (the password
 * never crosses, and the server proves itself), CRAM-MD5 (never crosses), then PLAIN and LOGIN.
 */
export function chooseMechanism(offered: readonly string[], options: { token: boolean }): ClientMechanism | undefined {
  const upper = new Set(offered.map((m) => m.toUpperCase()));
  if (options.token && upper.has('XOAUTH2')) return 'XOAUTH2';
  return (['SCRAM-SHA-256', 'CRAM-MD5', 'PLAIN', 'LOGIN'] as const).find((m) => upper.has(m));
}
