import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * CRAM-MD5 (RFC 2195): the server sends a challenge in the msg-id form `<random.time@host>`;
 * the client answers `user SP hex(HMAC-MD5(password, challenge))`. Both sides are here so
 * that `serve` can accept what `session` sends. Text in, text out: the base64 of AUTH
 * (RFC 4954 §4) is the caller's.
 */

/** RFC 2195 §2: the keyed MD5 digest, as 32 lower-case hex digits. */
export function cramMd5Digest(password: string, challenge: string): string {
  return createHmac('md5', Buffer.from(password, 'utf8')).update(Buffer.from(challenge, 'utf8')).digest('hex');
}

/** The client's answer to the decoded challenge. */
export function cramMd5Response(user: string, password: string, challenge: string): string {
  return `${user} ${cramMd5Digest(password, challenge)}`;
}

/** A challenge as RFC 2195 §2 shapes it; `random` and `now` make it unique per exchange. */
export function cramMd5Challenge(host: string, random: string, now: number): string {
  return `<${random}.${Math.floor(now / 1000)}@${host}>`;
}

/**
 * The server's check of a decoded response: the user it names, and whether its digest is
 * the one `password` gives (undefined when the user is unknown). The user name is the text
 * before the last space, since RFC 2195 does not forbid spaces in it.
 */
export function verifyCramMd5(response: string, challenge: string, passwordOf: (user: string) => string | undefined): { user: string; ok: boolean } | undefined {
  const space = response.lastIndexOf(' ');
  if (space <= 0) return undefined;
  const user = response.slice(0, space);
  const digest = response.slice(space + 1).toLowerCase();
  const password = passwordOf(user);
  if (password === undefined || !/^[0-9a-f]{32}$/.test(digest)) return { user, ok: false };
  const expected = Buffer.from(cramMd5Digest(password, challenge), 'latin1');
  return { user, ok: timingSafeEqual(expected, Buffer.from(digest, 'latin1')) };
}
