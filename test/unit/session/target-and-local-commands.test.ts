import { describe, expect, it } from 'vitest';
import { parseLocalCommand } from '../../../src/session/local-commands.js';
import { parseTarget } from '../../../src/session/target.js';

describe('parseTarget', () => {
  it.each([
    ['mx.example.org', { host: 'mx.example.org', port: 25 }],
    ['mx.example.org:587', { host: 'mx.example.org', port: 587 }],
    ['127.0.0.1:2525', { host: '127.0.0.1', port: 2525 }],
    ['[::1]:2525', { host: '::1', port: 2525 }],
    ['::1', { host: '::1', port: 25 }],
    ['[2001:db8::1]', { host: '2001:db8::1', port: 25 }],
  ])('%s', (text, target) => {
    expect(parseTarget(text)).toEqual(target);
  });

  it.each(['host:0', 'host:70000', 'host:abc', '[not-v6]:25', 'a b'])('%s is a usage error', (text) => {
    expect(() => parseTarget(text)).toThrow(/target/);
  });
});

describe('parseLocalCommand', () => {
  it('parses every local command', () => {
    expect(parseLocalCommand(':starttls')).toEqual({ kind: 'starttls' });
    expect(parseLocalCommand(':auth login bob')).toEqual({ kind: 'auth', mechanism: 'LOGIN', user: 'bob' });
    expect(parseLocalCommand(':auth cram-md5 bob')).toEqual({ kind: 'auth', mechanism: 'CRAM-MD5', user: 'bob' });
    expect(parseLocalCommand(':auth bob')).toEqual({ kind: 'auth', mechanism: 'auto', user: 'bob' });
    expect(parseLocalCommand(':auth')).toEqual({ kind: 'auth', mechanism: 'auto', user: undefined });
    expect(parseLocalCommand(':term cr')).toEqual({ kind: 'term', terminator: 'cr' });
    expect(parseLocalCommand(':data ./msg.eml')).toEqual({ kind: 'data', file: './msg.eml' });
    expect(parseLocalCommand(':QUIT')).toEqual({ kind: 'quit' });
    const raw = parseLocalCommand(':raw MAIL FROM:<a@b>\\n');
    expect(raw.kind === 'raw' && raw.bytes.toString('latin1')).toBe('MAIL FROM:<a@b>\n');
  });

  it('keeps the spaces of :raw bytes', () => {
    const raw = parseLocalCommand(':raw  two  spaces ');
    expect(raw.kind === 'raw' && raw.bytes.toString('latin1')).toBe(' two  spaces ');
  });

  it.each([':nope', ':term crcr', ':data', ':raw'])('%s is a clear error', (line) => {
    expect(() => parseLocalCommand(line)).toThrow();
  });
});
