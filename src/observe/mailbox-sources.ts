import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError, systemErrorCode, TimeoutError, UsageError } from '../errors.js';
import type { ImapOptions } from '../net/imap-store.js';
import { describeImap, parseImapUrl, type ImapLocation } from '../net/imap-location.js';
import { hasTrace } from './trace.js';

/**
 * Where `inject --observe` reads back what a server stored: a local mbox file the server
 * delivers to, or a Maildir. Each is watched from a snapshot taken before the message is
 * sent, so only what arrived since is read.
 */

export type ObserveSource =
  | { kind: 'mbox'; path: string }
  | { kind: 'maildir'; dir: string }
  | { kind: 'imap'; location: ImapLocation }
  | { kind: 'relay'; host: string; port: number };

/** `mbox:PATH`, `maildir:DIR`, `imap://user@host[:port]/MAILBOX`, `imaps://…` or `relay:HOST:PORT`. */
export function parseObserveSource(text: string): ObserveSource {
  if (/^imaps?:\/\//i.test(text)) return { kind: 'imap', location: parseImapUrl(text) };
  const relay = /^relay:(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (relay) {
    const port = Number(relay[3]);
    if (port < 1 || port > 65535) throw new UsageError(`--observe ${text}: the port must be 1 to 65535`);
    return { kind: 'relay', host: relay[1] ?? relay[2]!, port };
  }
  const match = /^(mbox|maildir):(.+)$/.exec(text);
  if (!match) throw new UsageError(`--observe ${text}: expected mbox:PATH, maildir:DIR, imap://user@host/MAILBOX, imaps://… or relay:HOST:PORT`);
  return match[1] === 'mbox' ? { kind: 'mbox', path: match[2]! } : { kind: 'maildir', dir: match[2]! };
}

/** How a store keeps line ends: the Unix mailbox formats write LF. */
export function lineEndsOf(source: ObserveSource): 'lf' | 'crlf' {
  // A relay's DATA and IMAP both carry CRLF lines.
  // IMAP hands messages out with CRLF (RFC 3501 §2.3.1), whatever the server keeps on disk.
  return source.kind === 'mbox' || source.kind === 'maildir' ? 'lf' : 'crlf';
}

export function describeSource(source: ObserveSource): string {
  if (source.kind === 'imap') return describeImap(source.location);
  if (source.kind === 'relay') return `relay:${source.host.includes(':') ? `[${source.host}]` : source.host}:${source.port}`;
  return source.kind === 'mbox' ? `mbox:${source.path}` : `maildir:${source.dir}`;
}

/** One stored copy of the message: its bytes as the store keeps them, and where they are. */
export interface StoredCopy {
  /** `/var/mail/u, bytes 1200–2412` or the Maildir file's path. */
  where: string;
  bytes: Buffer;
}

export interface WaitOptions {
  timeoutMs: number;
  /** How long the store must stay unchanged after the last copy appeared (split messages arrive one by one). */
  settleMs?: number;
  pollMs?: number;
  /** Called on every poll, with the time waited so far. */
  onWait?: (elapsedMs: number) => void;
}

export interface MailboxWatch {
  /** Waits until copies carrying the trace id have appeared and the store has settled. */
  waitFor(traceId: string, options: WaitOptions): Promise<StoredCopy[]>;
  /** Lets go of the store (logs out of IMAP). */
  close(): Promise<void>;
}

/**
 * Takes the snapshot now (for IMAP: connects and logs in), so call it before sending: a
 * store that cannot be read costs nothing sent.
 */
export async function watchMailbox(source: ObserveSource, imap?: ImapOptions): Promise<MailboxWatch> {
  if (source.kind === 'imap') {
    if (!imap) throw new UsageError('--observe imap://…: no way to get the password');
    const { ImapStore } = await import('../net/imap-store.js');
    const store = await ImapStore.open(source.location, imap);
    return {
      waitFor: async (traceId, options) => {
        let found: Awaited<ReturnType<typeof store.find>> = [];
        const copies = await pollUntilSettled(describeImap(source.location), async () => {
          found = await store.find(traceId);
          return { copies: found.map((c) => ({ where: `${describeImap(source.location)}, UID ${c.uid}`, bytes: c.bytes })), fingerprint: found.map((c) => c.uid).join(',') };
        }, { pollMs: 250, ...options });
        if (imap.deleteAfter) await store.delete(found.map((c) => c.uid));
        return copies;
      },
      close: () => store.close(),
    };
  }
  if (source.kind === 'relay') return watchRelay(source);
  return source.kind === 'mbox' ? MboxWatch.start(source.path) : MaildirWatch.start(source.dir);
}

/**
 * `relay:HOST:PORT`: we are the next hop. A capture server listens there (STARTTLS offered
 * with a generated certificate, every recipient accepted, nothing relayed further) for the
 * server under test to pass the message on to — its relayhost, smarthost or transport points
 * here — and the copy is what that server sent onward: envelope and bytes as received.
 */
async function watchRelay(source: Extract<ObserveSource, { kind: 'relay' }>): Promise<MailboxWatch> {
  const { startCaptureServer } = await import('../server/capture-server.js');
  let server: Awaited<ReturnType<typeof startCaptureServer>>;
  try {
    server = await startCaptureServer({ host: source.host, port: source.port, hostname: 'smtpdbg-relay' });
  } catch (error) {
    const reason = (error as Error).cause ?? error;
    throw new InputError(`--observe ${describeSource(source)}: cannot listen there: ${systemErrorCode(reason) ?? (error as Error).message}`, { cause: error });
  }
  return {
    waitFor: (traceId, options) =>
      pollUntilSettled(describeSource(source), async () => {
        const copies = server.messages
          .filter((m) => hasTrace(m.data, traceId))
          .map((m) => ({ where: `${describeSource(source)}, message ${m.id} from <${m.from}> to ${m.to.map((t) => `<${t}>`).join(', ')}${m.tls ? ' over TLS' : ''}`, bytes: m.data }));
        return { copies, fingerprint: copies.map((c) => `${c.where}:${c.bytes.length}`).join(',') };
      }, options),
    close: () => server.close(),
  };
}

const errnoOf = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** Polls `look` until it finds copies and they stop changing, or the time is up. */
async function pollUntilSettled(what: string, look: () => Promise<{ copies: StoredCopy[]; fingerprint: string }>, options: WaitOptions): Promise<StoredCopy[]> {
  const started = Date.now();
  const settleMs = options.settleMs ?? 500;
  const pollMs = options.pollMs ?? 100;
  let seen: { fingerprint: string; since: number } | undefined;
  for (;;) {
    const { copies, fingerprint } = await look();
    const now = Date.now();
    if (copies.length > 0) {
      if (!seen || seen.fingerprint !== fingerprint) seen = { fingerprint, since: now };
      else if (now - seen.since >= settleMs) return copies;
    }
    if (now - started >= options.timeoutMs) {
      if (copies.length > 0) return copies;
      throw new TimeoutError(`the message to appear in ${what} (--observe-timeout)`, options.timeoutMs);
    }
    options.onWait?.(now - started);
    await sleep(pollMs);
  }
}

class MboxWatch implements MailboxWatch {
  private constructor(
    private readonly path: string,
    private offset: number,
  ) {}

  static async start(path: string): Promise<MboxWatch> {
    try {
      const info = await stat(path);
      if (!info.isFile()) throw new InputError(`--observe mbox:${path}: not a regular file`);
      return new MboxWatch(path, info.size);
    } catch (error) {
      // A mailbox that does not exist yet is created by the first delivery.
      if (errnoOf(error) === 'ENOENT') return new MboxWatch(path, 0);
      if (error instanceof InputError) throw error;
      throw new InputError(`--observe mbox:${path}: ${errnoOf(error) ?? (error as Error).message}`, { cause: error });
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  waitFor(traceId: string, options: WaitOptions): Promise<StoredCopy[]> {
    return pollUntilSettled(`mbox:${this.path}`, async () => {
      const appended = await this.readAppended();
      const copies = splitMboxEntries(appended.bytes, appended.start)
        .filter((entry) => hasTrace(entry.message, traceId))
        .map((entry) => ({ where: `${this.path}, bytes ${entry.start}–${entry.end}`, bytes: entry.message }));
      return { copies, fingerprint: `${appended.start}:${appended.bytes.length}` };
    }, options);
  }

  /** What was added since the snapshot; the whole file when it was truncated or rewritten meanwhile. */
  private async readAppended(): Promise<{ start: number; bytes: Buffer }> {
    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return { start: this.offset, bytes: Buffer.alloc(0) };
      throw new InputError(`--observe mbox:${this.path}: ${errnoOf(error) ?? (error as Error).message}`, { cause: error });
    }
    try {
      const { size } = await handle.stat();
      if (size < this.offset) this.offset = 0;
      const bytes = Buffer.alloc(size - this.offset);
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, this.offset);
      return { start: this.offset, bytes: bytes.subarray(0, bytesRead) };
    } finally {
      await handle.close();
    }
  }
}

/**
 * The entries of a piece of mbox that starts at an entry: each begins with a From_ line at a
 * line start after an empty line (or at the start), and the writer's empty separator line
 * at its end is not part of the message (RFC 4155).
 */
export function splitMboxEntries(bytes: Buffer, base = 0): Array<{ start: number; end: number; message: Buffer }> {
  const starts: number[] = [];
  if (bytes.subarray(0, 5).toString('latin1') === 'From ') starts.push(0);
  for (let at = bytes.indexOf('\n\nFrom ', 0, 'latin1'); at !== -1; at = bytes.indexOf('\n\nFrom ', at + 1, 'latin1')) starts.push(at + 2);
  const entries: Array<{ start: number; end: number; message: Buffer }> = [];
  starts.forEach((start, i) => {
    const end = starts[i + 1] ?? bytes.length;
    const fromLineEnd = bytes.indexOf(0x0a, start);
    if (fromLineEnd === -1 || fromLineEnd >= end) return;
    let messageEnd = end;
    if (messageEnd - 1 > fromLineEnd && bytes[messageEnd - 1] === 0x0a && bytes[messageEnd - 2] === 0x0a) messageEnd -= 1;
    entries.push({ start: base + start, end: base + end, message: bytes.subarray(fromLineEnd + 1, messageEnd) });
  });
  return entries;
}

class MaildirWatch implements MailboxWatch {
  private constructor(
    private readonly dir: string,
    private readonly before: ReadonlySet<string>,
  ) {}

  static async start(dir: string): Promise<MaildirWatch> {
    try {
      const info = await stat(join(dir, 'new'));
      if (!info.isDirectory()) throw new InputError(`--observe maildir:${dir}: new/ is not a directory`);
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw new InputError(`--observe maildir:${dir}: not a Maildir (no new/ directory: ${errnoOf(error) ?? (error as Error).message})`, { cause: error });
    }
    return new MaildirWatch(dir, new Set(await MaildirWatch.list(dir)));
  }

  /** `new/NAME` and `cur/NAME` by the unique part of the name (a reader adds ":2,S" when it moves one to cur/). */
  private static async list(dir: string): Promise<string[]> {
    const names: string[] = [];
    for (const sub of ['new', 'cur']) {
      try {
        for (const name of await readdir(join(dir, sub))) names.push(`${sub}/${name}`);
      } catch (error) {
        if (errnoOf(error) !== 'ENOENT') throw new InputError(`--observe maildir:${dir}: ${errnoOf(error) ?? (error as Error).message}`, { cause: error });
      }
    }
    return names;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  waitFor(traceId: string, options: WaitOptions): Promise<StoredCopy[]> {
    const uniqueOf = (name: string) => name.slice(4).split(':')[0]!;
    const known = new Set([...this.before].map(uniqueOf));
    return pollUntilSettled(`maildir:${this.dir}`, async () => {
      const fresh = (await MaildirWatch.list(this.dir)).filter((name) => !known.has(uniqueOf(name))).sort();
      const copies: StoredCopy[] = [];
      for (const name of fresh) {
        let bytes: Buffer;
        try {
          bytes = await readFile(join(this.dir, name));
        } catch (error) {
          // Moved from new/ to cur/ between the listing and the read: the next poll finds it.
          if (errnoOf(error) === 'ENOENT') continue;
          throw new InputError(`--observe maildir:${this.dir}: ${errnoOf(error) ?? (error as Error).message}`, { cause: error });
        }
        if (hasTrace(bytes, traceId)) copies.push({ where: join(this.dir, name), bytes });
      }
      return { copies, fingerprint: copies.map((c) => `${uniqueOf(c.where.slice(this.dir.length + 1))}:${c.bytes.length}`).join(',') };
    }, options);
  }
}
