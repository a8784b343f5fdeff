import { randomBytes, timingSafeEqual } from 'node:crypto';
import { cramMd5Challenge, verifyCramMd5 } from '../smtp/sasl/cram-md5.js';
import { ScramError, scramKeys, scramServerFinal, scramServerFirst, type ScramServerState } from '../smtp/sasl/scram-sha-256.js';
import { parseXoauth2, xoauth2ErrorChallenge } from '../smtp/sasl/xoauth2.js';
import type { AuthUsers } from './auth-users.js';
import type { Decision } from './behaviour.js';

/**
 * The server side of each AUTH mechanism serve offers (RFC 4954), one state machine per
 * exchange, fed decoded responses; the base64, the replies and the behaviour hooks are the
 * handler's. The mechanisms' own checks live in src/smtp/sasl/.
 *
 * Without a users file any credentials are accepted (the user is shown, the secret never):
 * CRAM-MD5's digest and XOAUTH2's token are not checked. With one, PLAIN, LOGIN, CRAM-MD5
 * and SCRAM-SHA-256 check the password and XOAUTH2 takes the password field as the only
 * valid token. SCRAM-SHA-256 exists only then: its server proves it knows the password
 * (RFC 5802 §3), which a server that accepts anything cannot do.
 */
export const ServerMechanisms = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2', 'SCRAM-SHA-256'] as const;
export type ServerMechanism = (typeof ServerMechanisms)[number];

/** The mechanisms of the EHLO AUTH keyword (RFC 4954 §3). */
export function offeredMechanisms(users: AuthUsers | undefined): ServerMechanism[] {
  return ServerMechanisms.filter((m) => m !== 'SCRAM-SHA-256' || users !== undefined);
}

/** What the server does after a response. */
export type AuthStep =
  /** 334 with this text, base64-encoded (RFC 4954 §4). */
  | { kind: 'challenge'; text: string }
  /** The response is not what the mechanism defines: 501. */
  | { kind: 'malformed'; why: string }
  /** Every credential is in. */
  | { kind: 'complete'; user: string; verdict: AuthVerdict };

export type AuthVerdict =
  /** `final`: data the server sends with its success (SCRAM's v=), as a 334 before the 235. */
  | { ok: true; how: string; final?: string }
  /** `challenge`: sent as a 334 before the 535, as XOAUTH2 does with its JSON error. */
  | { ok: false; why: string; challenge?: string };

export interface ServerSasl {
  readonly mechanism: ServerMechanism;
  /** False: the server speaks first, and an initial response is a mistake (CRAM-MD5). */
  readonly takesInitialResponse: boolean;
  /** The first 334's text when the client sent no initial response. */
  readonly firstChallenge: string;
  respond(response: string): AuthStep;
}

export interface AuthExchange {
  sasl: ServerSasl;
  /** After a 334 that ends the mechanism (SCRAM's v=, XOAUTH2's error): the reply the client's next line gets. */
  pending?: { code: 235 | 535; user: string; message: string; decision: Decision | undefined };
}

function equalSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The verdict on a user's credentials: `matches` says whether what the client sent fits the
 * password of FILE (compared as sent by PLAIN, LOGIN and XOAUTH2, through a digest or a
 * proof by CRAM-MD5 and SCRAM-SHA-256).
 */
function verdictFor(users: AuthUsers | undefined, user: string, what: 'password' | 'token', matches: (expected: string) => boolean): AuthVerdict {
  if (!users) return { ok: true, how: 'any credentials are accepted' };
  const expected = users.password(user);
  if (expected === undefined) return { ok: false, why: `${JSON.stringify(user)} is not in ${users.file}` };
  return matches(expected) ? { ok: true, how: `${what} checked against ${users.file}` } : { ok: false, why: `wrong ${what} (${users.file})` };
}

const SCRAM_ITERATIONS = 4096; // RFC 7677 §4: at least 4096

export function serverSasl(mechanism: ServerMechanism, users: AuthUsers | undefined, hostname: string): ServerSasl {
  switch (mechanism) {
    case 'PLAIN':
      return {
        mechanism, takesInitialResponse: true, firstChallenge: '',
        respond: (response) => {
          // RFC 4616 §2: authzid NUL authcid NUL passwd.
          const parts = response.split('\0');
          if (parts.length !== 3) return { kind: 'malformed', why: 'PLAIN is authzid NUL user NUL password (RFC 4616 §2)' };
          const [, user = '', password = ''] = parts;
          return { kind: 'complete', user, verdict: verdictFor(users, user, 'password', (expected) => equalSecret(password, expected)) };
        },
      };
    case 'LOGIN': {
      let user: string | undefined;
      return {
        mechanism, takesInitialResponse: true, firstChallenge: 'Username:',
        respond: (response) => {
          if (user === undefined) {
            user = response;
            return { kind: 'challenge', text: 'Password:' };
          }
          return { kind: 'complete', user, verdict: verdictFor(users, user, 'password', (expected) => equalSecret(response, expected)) };
        },
      };
    }
    case 'CRAM-MD5': {
      const challenge = cramMd5Challenge(hostname, randomBytes(8).toString('hex'), Date.now());
      return {
        mechanism, takesInitialResponse: false, firstChallenge: challenge,
        respond: (response) => {
          const checked = verifyCramMd5(response, challenge, (user) => users?.password(user));
          if (!checked) return { kind: 'malformed', why: 'CRAM-MD5 is user SP digest (RFC 2195 §2)' };
          return { kind: 'complete', user: checked.user, verdict: verdictFor(users, checked.user, 'password', () => checked.ok) };
        },
      };
    }
    case 'XOAUTH2':
      return {
        mechanism, takesInitialResponse: true, firstChallenge: '',
        respond: (response) => {
          const parsed = parseXoauth2(response);
          if (!parsed) return { kind: 'malformed', why: 'XOAUTH2 is user=U ^A auth=Bearer TOKEN ^A ^A' };
          const verdict = verdictFor(users, parsed.user, 'token', (expected) => equalSecret(parsed.token, expected));
          return { kind: 'complete', user: parsed.user, verdict: verdict.ok ? verdict : { ...verdict, challenge: xoauth2ErrorChallenge() } };
        },
      };
    case 'SCRAM-SHA-256':
      // offeredMechanisms lists it only with a users file.
      if (!users) throw new Error('SCRAM-SHA-256 needs a users file');
      return scramSasl(users);
  }
}

function scramSasl(users: AuthUsers): ServerSasl {
  let state: ScramServerState | undefined;
  let keys: ReturnType<typeof scramKeys> | undefined;
  return {
    mechanism: 'SCRAM-SHA-256', takesInitialResponse: true, firstChallenge: '',
    respond: (response) => {
      if (!state) {
        const salt = { salt: randomBytes(16), iterations: SCRAM_ITERATIONS };
        let first: ReturnType<typeof scramServerFirst>;
        try {
          first = scramServerFirst(response, salt, randomBytes(18).toString('base64'));
        } catch (error) {
          if (error instanceof ScramError) return { kind: 'malformed', why: `SCRAM-SHA-256: ${error.message}` };
          throw error;
        }
        state = first.state;
        const password = users.password(state.user);
        // An unknown user still gets a server-first-message (salted with a random password),
        // so the exchange ends where a wrong password ends it.
        keys = scramKeys(password ?? randomBytes(16).toString('hex'), salt);
        return { kind: 'challenge', text: first.message };
      }
      const final = scramServerFinal(state, response, keys!);
      // Only a wrong proof is a wrong password; another e= is a client-final-message that does not fit this exchange.
      if (!final.ok && final.message !== 'e=invalid-proof') return { kind: 'malformed', why: `SCRAM-SHA-256: ${final.message} (RFC 5802 §7)` };
      const verdict = verdictFor(users, state.user, 'password', () => final.ok);
      return { kind: 'complete', user: state.user, verdict: verdict.ok ? { ok: true, how: `proof checked against ${users.file}, signature sent`, final: final.message } : verdict };
    },
  };
}

export function parseServerMechanism(name: string, users: AuthUsers | undefined): ServerMechanism | undefined {
  const upper = name.toUpperCase();
  return offeredMechanisms(users).find((m) => m === upper);
}
