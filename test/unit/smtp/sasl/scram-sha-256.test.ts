import { describe, expect, it } from 'vitest';
import { saslClient, SaslAbort } from '../../../../src/smtp/sasl/client.js';
import {
  escapeSaslName,
  scramClientFinal,
  scramClientFirst,
  scramClientFirstUser,
  scramKeys,
  scramServerFinal,
  scramServerFirst,
  verifyServerFinal,
} from '../../../../src/smtp/sasl/scram-sha-256.js';

// RFC 7677 §3: the published SCRAM-SHA-256 exchange (user "user", password "pencil").
const V = {
  clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};
const salt = { salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), iterations: 4096 };

describe('SCRAM-SHA-256 (RFC 7677)', () => {
  it("the client side reproduces RFC 7677's client messages and accepts its server signature", () => {
    const start = scramClientFirst('user', V.clientNonce);
    expect(start.message).toBe(V.clientFirst);
    const final = scramClientFinal(start, V.serverFirst, 'pencil');
    expect(final.message).toBe(V.clientFinal);
    expect(verifyServerFinal(final, V.serverFinal)).toEqual({ ok: true });
  });

  it("the server side reproduces RFC 7677's server messages and accepts its client proof", () => {
    expect(scramClientFirstUser(V.clientFirst)).toBe('user');
    const { message, state } = scramServerFirst(V.clientFirst, salt, '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
    expect(message).toBe(V.serverFirst);
    expect(scramServerFinal(state, V.clientFinal, scramKeys('pencil', salt))).toEqual({ ok: true, message: V.serverFinal });
  });

  it('the server side refuses a proof made with another password', () => {
    const { state } = scramServerFirst(V.clientFirst, salt, '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
    const wrong = scramClientFinal(scramClientFirst('user', V.clientNonce), V.serverFirst, 'pencils');
    expect(scramServerFinal(state, wrong.message, scramKeys('pencil', salt))).toEqual({ ok: false, message: 'e=invalid-proof' });
  });

  it('client and server sides agree for a user name with "," and "=", and a non-ASCII password', () => {
    const user = 'a,b=c';
    expect(escapeSaslName(user)).toBe('a=2Cb=3Dc');
    const keys = scramKeys('pässwörd', { salt: Buffer.from('salt'), iterations: 4096 });
    const start = scramClientFirst(user, 'clientnonce');
    const server = scramServerFirst(start.message, { salt: Buffer.from('salt'), iterations: 4096 }, 'servernonce');
    expect(server.state.user).toBe(user);
    const final = scramClientFinal(start, server.message, 'pässwörd');
    const verdict = scramServerFinal(server.state, final.message, keys);
    expect(verdict.ok).toBe(true);
    expect(verifyServerFinal(final, verdict.message)).toEqual({ ok: true });
  });

  it('the client refuses a wrong server signature, a nonce that does not extend its own, and a mandatory extension', () => {
    const start = scramClientFirst('user', V.clientNonce);
    const final = scramClientFinal(start, V.serverFirst, 'pencil');
    expect(verifyServerFinal(final, 'v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')).toMatchObject({ ok: false, why: expect.stringMatching(/signature is wrong/) });
    expect(verifyServerFinal(final, 'e=invalid-proof')).toMatchObject({ ok: false });
    expect(() => scramClientFinal(start, 'r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096', 'pencil')).toThrow(/nonce/);
    expect(() => scramClientFinal(start, `m=x,${V.serverFirst}`, 'pencil')).toThrow(/mandatory/);
  });

  it('the client state machine cancels on a wrong signature and will not take a 235 before the signature', () => {
    const b64 = (t: string) => Buffer.from(t).toString('base64');
    const client = saslClient('SCRAM-SHA-256', 'user', 'pencil', V.clientNonce);
    expect(client.initialResponse).toBe(b64(V.clientFirst));
    expect(client.respond(b64(V.serverFirst))).toBe(b64(V.clientFinal));
    expect(() => client.succeeded()).toThrow(SaslAbort);
    expect(() => client.respond(b64('v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).toThrow(/signature is wrong/);

    const good = saslClient('SCRAM-SHA-256', 'user', 'pencil', V.clientNonce);
    good.respond(b64(V.serverFirst));
    expect(good.respond(b64(V.serverFinal))).toBe('');
    expect(() => good.succeeded()).not.toThrow();
  });
});
