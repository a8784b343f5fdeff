import { readFileSync } from 'node:fs';
import { fileError, InputError } from '../errors.js';

/**
 * `serve --auth-users FILE`: the accounts serve checks AUTH against, one `user:password` a
 * line (the password is everything after the first colon, spaces included; blank lines and
 * lines starting with # are skipped). Without it serve accepts any credentials, as a
 * capture server should; with it, it can also offer SCRAM-SHA-256, whose server must prove
 * that it knows the password (RFC 5802 §3).
 */
export interface AuthUsers {
  /** The file, as given, for the messages that name it. */
  readonly file: string;
  password(user: string): string | undefined;
}

/** The text of a users file; every mistake is one line naming FILE:LINE. */
export function parseAuthUsers(text: string, file: string): AuthUsers {
  const passwords = new Map<string, { password: string; line: number }>();
  const lines = text.split('\n');
  // A file ending with a newline has an empty last piece, which is no line.
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const where = `${file}:${index + 1}`;
    if (line.trim() === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    if (colon === -1) throw new InputError(`--auth-users ${where}: expected user:password, found no colon`);
    const user = line.slice(0, colon);
    const password = line.slice(colon + 1);
    if (user === '') throw new InputError(`--auth-users ${where}: the user name before the colon is empty`);
    if (password === '') throw new InputError(`--auth-users ${where}: the password of ${JSON.stringify(user)} is empty`);
    const earlier = passwords.get(user);
    if (earlier) throw new InputError(`--auth-users ${where}: ${JSON.stringify(user)} is already on line ${earlier.line}`);
    passwords.set(user, { password, line: index + 1 });
  });
  if (passwords.size === 0) throw new InputError(`--auth-users ${file}: no user:password line`);
  return { file, password: (user) => passwords.get(user)?.password };
}

/** Reads and checks FILE before serve listens, so that a mistake stops it at once. */
export function readAuthUsers(file: string): AuthUsers {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw fileError(`--auth-users ${file}`, 'read', error);
  }
  return parseAuthUsers(text, file);
}
