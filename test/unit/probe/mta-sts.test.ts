import { describe, expect, it } from 'vitest';
import { matchingPattern, mxMatchesPattern, parseStsPolicy, parseStsRecords, parseTlsRptRecords } from '../../../src/probe/mta-sts.js';

describe('the _mta-sts TXT record (RFC 8461 §3.1)', () => {
  it('takes the one record that starts with v=STSv1; and reads its id', () => {
    expect(parseStsRecords(['v=spf1 -all', 'v=STSv1; id=20261205T000000;'])).toEqual({ ok: true, value: { id: '20261205T000000', text: 'v=STSv1; id=20261205T000000;' } });
    expect(parseStsRecords(['v=STSv1;id=abc'])).toMatchObject({ ok: true, value: { id: 'abc' } });
  });

  it('says why a record set gives no policy', () => {
    expect(parseStsRecords([])).toEqual({ ok: false, error: 'no TXT record' });
    expect(parseStsRecords(['hello'])).toEqual({ ok: false, error: 'no TXT record starts with "v=STSv1;" (1 other)' });
    expect(parseStsRecords(['v=STSv1; id=1;', 'v=STSv1; id=2;'])).toEqual({ ok: false, error: '2 TXT records start with "v=STSv1;": senders then assume no policy (RFC 8461 §3.1)' });
    expect(parseStsRecords(['v=STSv1;'])).toEqual({ ok: false, error: 'the record has no id field: "v=STSv1;"' });
    expect(parseStsRecords(['v=STSv1; id=has-dash;'])).toEqual({ ok: false, error: 'id "has-dash" is not 1-32 letters and digits (RFC 8461 §3.1)' });
    expect(parseStsRecords([`v=STSv1; id=${'a'.repeat(33)};`]).ok).toBe(false);
  });
});

describe('the policy (RFC 8461 §3.2)', () => {
  it('reads mode, every mx line and max_age, with CRLF or LF', () => {
    expect(parseStsPolicy('version: STSv1\r\nmode: enforce\r\nmx: mail.example.test\r\nmx: *.Example.NET.\r\nmax_age: 604800\r\n')).toEqual({ ok: true, value: { mode: 'enforce', mx: ['mail.example.test', '*.example.net'], maxAge: 604800 } });
    expect(parseStsPolicy('version: STSv1\nmode: none\nmax_age: 0\n')).toEqual({ ok: true, value: { mode: 'none', mx: [], maxAge: 0 } });
  });

  it('says which field is wrong', () => {
    const valid = (changes: Record<string, string | null>) => {
      const fields: Record<string, string | null> = { version: 'STSv1', mode: 'enforce', mx: 'mx.example.test', max_age: '86400', ...changes };
      return parseStsPolicy(Object.entries(fields).filter(([, v]) => v !== null).map(([k, v]) => `${k}: ${v}\n`).join(''));
    };
    expect(valid({ version: 'STSv2' })).toEqual({ ok: false, error: 'version is "STSv2", not STSv1' });
    expect(valid({ mode: 'strict' })).toEqual({ ok: false, error: 'mode is "strict", not enforce, testing or none' });
    expect(valid({ max_age: null })).toEqual({ ok: false, error: 'max_age is null, not a number of seconds' });
    expect(valid({ max_age: '31557601' })).toEqual({ ok: false, error: 'max_age 31557601 is more than 31557600 seconds (RFC 8461 §3.2)' });
    expect(valid({ mx: null })).toEqual({ ok: false, error: 'mode enforce without any mx line' });
    expect(parseStsPolicy('<html>not a policy</html>')).toEqual({ ok: false, error: 'line "<html>not a policy</html>" is not "key: value"' });
  });
});

describe('mx patterns (RFC 8461 §4.1)', () => {
  it('a wildcard matches exactly one label on the left; names compare without case or trailing dot', () => {
    expect(mxMatchesPattern('mx1.example.test', '*.example.test')).toBe(true);
    expect(mxMatchesPattern('MX1.Example.Test.', '*.example.test')).toBe(true);
    expect(mxMatchesPattern('a.mx1.example.test', '*.example.test')).toBe(false);
    expect(mxMatchesPattern('example.test', '*.example.test')).toBe(false);
    expect(mxMatchesPattern('mail.example.test', 'mail.example.test')).toBe(true);
    expect(mxMatchesPattern('mail2.example.test', 'mail.example.test')).toBe(false);
    expect(matchingPattern('b.example.test', { mode: 'enforce', mx: ['a.example.test', '*.example.test'], maxAge: 1 })).toBe('*.example.test');
  });
});

describe('the _smtp._tls TXT record (RFC 8460 §3)', () => {
  it('reads the report addresses', () => {
    expect(parseTlsRptRecords(['v=TLSRPTv1; rua=mailto:tls@example.test,https://reports.example.test/v1'])).toEqual({ ok: true, value: { rua: ['mailto:tls@example.test', 'https://reports.example.test/v1'], text: 'v=TLSRPTv1; rua=mailto:tls@example.test,https://reports.example.test/v1' } });
  });

  it('says what is wrong', () => {
    expect(parseTlsRptRecords(['v=TLSRPTv1;'])).toEqual({ ok: false, error: 'the record has no rua field: "v=TLSRPTv1;"' });
    expect(parseTlsRptRecords(['v=TLSRPTv1; rua=http://example.test'])).toEqual({ ok: false, error: 'rua "http://example.test" is neither mailto: nor https: (RFC 8460 §3)' });
    expect(parseTlsRptRecords(['v=TLSRPTv1; rua=mailto:a@b', 'v=TLSRPTv1; rua=mailto:c@d']).ok).toBe(false);
    expect(parseTlsRptRecords(['v=spf1'])).toEqual({ ok: false, error: 'no TXT record starts with "v=TLSRPTv1;"' });
  });
});
