import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { parseAuthUsers } from '../../../src/server/auth-users.js';

describe('parseAuthUsers (serve --auth-users)', () => {
  it('reads user:password lines; the password is everything after the first colon, spaces kept', () => {
    const users = parseAuthUsers('# accounts\nalice:correct horse\r\n\nbob:a:b: c \n', 'u.txt');
    expect(users.file).toBe('u.txt');
    expect(users.password('alice')).toBe('correct horse');
    expect(users.password('bob')).toBe('a:b: c ');
    expect(users.password('carol')).toBeUndefined();
    expect(users.password('Alice')).toBeUndefined();
  });

  it('takes a last line without a newline', () => {
    expect(parseAuthUsers('alice:pw', 'u.txt').password('alice')).toBe('pw');
  });

  it.each([
    ['no colon', 'alice:pw\njust-a-name\n', '--auth-users u.txt:2: expected user:password, found no colon'],
    ['empty user', ':pw\n', '--auth-users u.txt:1: the user name before the colon is empty'],
    ['empty password', '# x\nalice:\n', '--auth-users u.txt:2: the password of "alice" is empty'],
    ['the same user twice', 'alice:a\nbob:b\nalice:c\n', '--auth-users u.txt:3: "alice" is already on line 1'],
    ['no account at all', '# only a comment\n\n', '--auth-users u.txt: no user:password line'],
  ])('%s: one line naming FILE:LINE', (_name, text, message) => {
    const attempt = () => parseAuthUsers(text, 'u.txt');
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(message);
  });
});
