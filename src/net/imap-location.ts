import { UsageError } from '../errors.js';

/** Where `inject --observe imap://…` reads: parsed here, without loading the IMAP client. */
export interface ImapLocation {
  secure: boolean;
  host: string;
  port: number;
  user: string;
  mailbox: string;
}

/** `imap://user@host[:port]/MAILBOX` (STARTTLS) or `imaps://…` (implicit TLS); INBOX when no mailbox is named. */
export function parseImapUrl(text: string): ImapLocation {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--observe ${text}: not a URL (expected imap://user@host[:port]/MAILBOX)`);
  }
  const secure = url.protocol === 'imaps:';
  if (!secure && url.protocol !== 'imap:') throw new UsageError(`--observe ${text}: expected imap:// or imaps://`);
  if (!url.username) throw new UsageError(`--observe ${text}: name the user (imap://user@host/MAILBOX; the password comes from SMTPDBG_IMAP_PASSWORD or a prompt)`);
  if (url.password) throw new UsageError(`--observe ${text}: a password in the URL would stay in ps and the shell history; use SMTPDBG_IMAP_PASSWORD or the prompt`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    secure,
    host,
    port: url.port ? Number(url.port) : secure ? 993 : 143,
    user: decodeURIComponent(url.username),
    mailbox: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'INBOX',
  };
}

export function describeImap(location: ImapLocation): string {
  const host = location.host.includes(':') ? `[${location.host}]` : location.host;
  return `${location.secure ? 'imaps' : 'imap'}://${encodeURIComponent(location.user)}@${host}:${location.port}/${location.mailbox}`;
}

