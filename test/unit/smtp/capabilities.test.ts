import { describe, expect, it } from 'vitest';
import { authMechanisms, capabilityList, hasExtension, parseCapabilities, sizeLimit } from '../../../src/smtp/capabilities.js';
import { decodeChallenge, plainInitialResponse } from '../../../src/smtp/auth.js';
import { describeEnhancedCode, parseEnhancedCode } from '../../../src/smtp/enhanced-status.js';

describe('parseCapabilities', () => {
  const caps = parseCapabilities({ lines: ['mx.example.org Hello client [127.0.0.1]', 'PIPELINING', 'SIZE 10240000', 'auth login PLAIN', 'AUTH=LOGIN', 'STARTTLS', '8BITMIME'] });

  it('reads the domain, keywords case-insensitively, and parameters', () => {
    expect(caps.domain).toBe('mx.example.org');
    expect(hasExtension(caps, 'starttls')).toBe(true);
    expect(hasExtension(caps, 'SMTPUTF8')).toBe(false);
    expect(sizeLimit(caps)).toBe(10240000);
    expect(authMechanisms(caps)).toEqual(['LOGIN', 'PLAIN']);
  });

  it('keeps the standard AUTH line over the pre-standard AUTH= one', () => {
    expect(capabilityList(caps)).toContain('AUTH login PLAIN');
  });
});

describe('enhanced status codes', () => {
  it.each([
    ['5.7.8', 'permanent failure: authentication credentials invalid'],
    ['4.4.2', 'temporary failure: bad connection'],
    ['5.5.2', 'permanent failure: syntax error'],
    ['2.0.0', 'success: other or undefined status'],
    ['5.7.99', 'permanent failure: other or undefined security status'],
  ])('%s is explained in words', (code, words) => {
    expect(describeEnhancedCode(code)).toBe(words);
  });

  it('is only taken from the start of the text, with the class of the reply', () => {
    expect(parseEnhancedCode('4.7.1 Try again later', 451)).toBe('4.7.1');
    expect(parseEnhancedCode('Try 4.7.1 later', 451)).toBeUndefined();
    expect(parseEnhancedCode('4.7.1 mismatch', 550)).toBeUndefined();
  });
});

describe('AUTH payloads', () => {
  it('PLAIN is NUL user NUL password in base64 (RFC 4616)', () => {
    expect(Buffer.from(plainInitialResponse('alice', 's3cret'), 'base64').toString()).toBe('\0alice\0s3cret');
  });

  it('decodes 334 challenges and points out text that is not base64', () => {
    expect(decodeChallenge('VXNlcm5hbWU6')).toEqual({ decoded: 'Username:', base64: true });
    expect(decodeChallenge('Password:')).toEqual({ decoded: 'Password:', base64: false });
  });
});
