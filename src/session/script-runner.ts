import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError, fileError, UsageError } from '../errors.js';
import { messageWithEnd } from '../inject/payload.js';
import type { Pause } from '../inject/pause.js';
import { standardEndOfData } from '../smtp/eod.js';
import { bdatCommand, chunkBytes, splitChunks } from '../smtp/bdat.js';
import { isSuccess, type Reply } from '../smtp/reply.js';
import { recognizeLines, Terminators, type TerminatorName } from '../smtp/terminators.js';
import { hasExtension } from '../smtp/capabilities.js';
import { authenticate } from './opening-steps.js';
import { isLocalCommand, localCommandHelp, parseLocalCommand } from './local-commands.js';
import { UNSOLICITED, type SmtpSession } from './smtp-session.js';

export interface ScriptOptions {
  /** Send groups of commands without waiting when the server advertises PIPELINING. */
  pipeline: boolean;
  /** Asks for the password of :auth (SMTPDBG_PASSWORD or a prompt, decided by the caller). */
  password: (user: string) => Promise<string>;
  /** The user of an :auth that names none (`--user`). */
  user?: string;
  /** The XOAUTH2 bearer token of :auth xoauth2 (SMTPDBG_OAUTH_TOKEN, never a typed line). */
  token?: () => string | undefined;
  /** RFC 5321 §4.5.2 transparency for DATA content (`--no-dot-stuff` turns it off); default on. */
  dotStuff?: boolean;
  /** Opens a new connection with the same options and runs its opening (:reconnect). */
  reconnect?: () => Promise<SmtpSession>;
  /** `--pause STAGE=MS` for the stages that are not commands (content: after the 354). */
  pause?: Pause;
  /** How long to wait for replies after :raw before going on (no reply may be due). */
  rawQuietMs?: number;
}

/** RFC 2920 §3.1: these may appear anywhere in a pipelined group; the others end a group. */
const groupable = /^(RSET|MAIL|SEND|SOML|SAML|RCPT)\b/i;

/**
 * Executes one line after another — SMTP commands and ':' local commands — the way a person
 * at the keyboard would, shared by scripted mode (stdin lines) and the interactive UI.
 */
export class LineRunner {
  private current: SmtpSession;
  /** Every connection of the run, the first one first (:reconnect adds one). */
  readonly sessions: SmtpSession[];
  private readonly options: ScriptOptions;
  terminator: TerminatorName = 'crlf';
  /** Double the leading "." of DATA content lines (`:stuff on|off`). */
  dotStuff: boolean;
  inData = false;
  finished = false;
  private pipelineGroup: string[] = [];

  constructor(session: SmtpSession, options: ScriptOptions) {
    this.current = session;
    this.sessions = [session];
    this.options = options;
    this.dotStuff = options.dotStuff ?? true;
  }

  /** The connection lines go to now. */
  get session(): SmtpSession {
    return this.current;
  }

  private get term(): Buffer {
    return Terminators[this.terminator];
  }

  /** Runs one line. Returns the replies it produced (for the UI). */
  async run(line: string): Promise<Reply[]> {
    if (this.finished) return [];
    // Inside DATA every line is content until the lone dot: nothing is a local command there.
    if (this.inData) return this.dataLine(line);
    if (isLocalCommand(line)) return this.local(line);
    if (this.session.client.closedBy === 'local' && !this.session.quitSent) {
      throw new ConnectionError(`not connected: :close hung up on ${this.session.client.target} (:reconnect opens a new connection)`);
    }
    if (this.options.pipeline && hasExtension(this.session.capabilities, 'PIPELINING')) {
      this.pipelineGroup.push(line);
      if (groupable.test(line)) return [];
      return this.flushGroup();
    }
    return this.smtpLine(line);
  }

  /** Sends what a pipelined group still holds (at EOF). */
  async flush(): Promise<Reply[]> {
    return this.pipelineGroup.length ? this.flushGroup() : [];
  }

  private async smtpLine(line: string): Promise<Reply[]> {
    const reply = await this.sendWithTerminator(line);
    this.afterCommand(line, reply);
    if (this.inData) await this.options.pause?.('content', 'the message');
    return [reply];
  }

  private async sendWithTerminator(line: string): Promise<Reply> {
    const saved = this.session.commandTerminator;
    this.session.commandTerminator = this.term;
    try {
      return await this.session.command(line);
    } finally {
      this.session.commandTerminator = saved;
    }
  }

  private afterCommand(line: string, reply: Reply): void {
    const verb = (line.trim().split(/\s+/)[0] ?? '').toUpperCase();
    if (verb === 'DATA' && reply.code === 354) this.inData = true;
    if (verb === 'QUIT') this.finished = true;
  }

  private async flushGroup(): Promise<Reply[]> {
    const group = this.pipelineGroup.splice(0);
    const bytes = Buffer.concat(group.map((l) => Buffer.concat([Buffer.from(l, 'latin1'), this.term])));
    if (group.some((l) => /^quit\b/i.test(l.trim()))) this.session.expectQuit();
    // Each reply is recorded under its line as the events showed it (an AUTH secret hidden).
    const shown = this.session.write(bytes).toString('latin1').split(this.term.toString('latin1'));
    const replies: Reply[] = [];
    for (const [i, line] of group.entries()) {
      const reply = await this.session.readReply(shown[i] ?? '[redacted]');
      replies.push(reply);
      this.afterCommand(line, reply);
    }
    return replies;
  }

  /**
   * One typed line of content. The lone "." ends the data; any other line starting with "."
   * gets a second one when stuffing is on (RFC 5321 §4.5.2: the server removes it), and the
   * screen says so, since the bytes sent then differ from the line typed.
   */
  private async dataLine(line: string): Promise<Reply[]> {
    if (line !== '.') {
      const stuffed = this.dotStuff && line.startsWith('.');
      this.session.write(Buffer.concat([Buffer.from(stuffed ? `.${line}` : line, 'latin1'), this.term]));
      if (stuffed) {
        this.session.client.emit({ type: 'info', message: `dot-stuffed: the line starts with "." so it went out as "${line.length > 40 ? `.${line.slice(0, 40)}…` : `.${line}`}" (RFC 5321 §4.5.2: the server removes the added "."; :stuff off before DATA sends such lines as typed)` });
      } else if (line.startsWith('.')) {
        this.session.client.emit({ type: 'info', message: 'sent as typed, not dot-stuffed (:stuff off or --no-dot-stuff): a server following RFC 5321 §4.5.2 removes its first "."' });
      }
      return [];
    }
    this.session.write(Buffer.concat([Buffer.from('.', 'latin1'), this.term]));
    this.inData = false;
    return this.readEnd('end of data');
  }

  /**
   * The reply to the end of a message, and in LMTP the one more per accepted recipient
   * that the first announces (RFC 2033 §4.2: one reply per successful RCPT, in order).
   */
  private async readEnd(command: string): Promise<Reply[]> {
    const replies = [await this.session.readReply(command)];
    const more = this.session.client.repliesFollowing(replies[0]!);
    for (let n = 2; n <= more + 1; n++) replies.push(await this.session.readReply(`${command} (recipient ${n})`));
    return replies;
  }

  private async local(line: string): Promise<Reply[]> {
    const command = parseLocalCommand(line);
    const session = this.session;
    switch (command.kind) {
      case 'help':
        for (const [usage, words] of localCommandHelp) session.client.emit({ type: 'info', message: `${usage.padEnd(24)} ${words}` });
        return [];
      case 'stuff':
        this.dotStuff = command.on;
        session.client.emit({ type: 'info', message: command.on ? 'DATA lines starting with "." are now dot-stuffed' : 'DATA lines now go out as typed: a line starting with "." is not dot-stuffed (the server will remove its first ".")' });
        return [];
      case 'term':
        this.terminator = command.terminator;
        session.client.emit({ type: 'info', message: `typed lines now end with ${command.terminator.toUpperCase()}` });
        return [];
      case 'sleep':
        session.client.emit({ type: 'info', message: `sleeping ${command.ms} ms (:sleep)` });
        await sleep(command.ms);
        return [];
      case 'close':
        // What a crashed or impatient client does: RFC 5321 §3.8 asks servers to cope.
        session.client.close('hung up without QUIT (:close)');
        return [];
      case 'reconnect': {
        const reconnect = this.options.reconnect;
        if (!reconnect) throw new UsageError(':reconnect is not available here');
        if (!session.client.closed) await session.quit();
        session.client.emit({ type: 'info', message: `reconnecting to ${session.client.target}: a new connection with the same options (:reconnect)` });
        this.inData = false;
        this.pipelineGroup.length = 0;
        this.current = await reconnect();
        this.sessions.push(this.current);
        return [];
      }
      case 'quit': {
        this.finished = true;
        const reply = await session.quit();
        return reply ? [reply] : [];
      }
      case 'starttls': {
        const { reply } = await session.starttls();
        if (reply.code !== 220) return [reply];
        // RFC 3207 §4.2: forget the old capabilities and ask again.
        return [reply, await session.ehlo()];
      }
      case 'auth': {
        const user = command.user ?? this.options.user;
        if (user === undefined) throw new UsageError(':auth needs a user: :auth [MECHANISM] USER, or --user');
        const { password, token } = this.options;
        return [await authenticate(session, { mechanism: command.mechanism, user, password: () => password(user), ...(token ? { token } : {}) }, ':auth')];
      }
      case 'raw': {
        session.write(command.bytes);
        const replies: Reply[] = [];
        const quietMs = this.options.rawQuietMs ?? Math.min(1500, session.settings.timeoutMs);
        for (;;) {
          const reply = await session.client.readReplyIfAny(quietMs);
          if (!reply) break;
          session.record('(raw)', reply);
          replies.push(reply);
        }
        if (!replies.length) session.client.emit({ type: 'info', message: `no reply within ${quietMs} ms` });
        return replies;
      }
      case 'data': {
        const content = await readLocalFile(':data', command.file);
        // The same rule as inject --data: lines split by the file's own convention, a stray
        // terminator of another kind kept as content, each line ended as :term says.
        const lines = recognizeLines(content).lines;
        const start = await session.command('DATA');
        if (start.code !== 354) return [start];
        await this.options.pause?.('content', 'the message');
        session.write(messageWithEnd(lines, { term: this.terminator, dotStuff: this.dotStuff, eod: standardEndOfData }));
        const stuffed = this.dotStuff ? lines.filter((l) => l[0] === 0x2e).length : 0;
        if (stuffed) session.client.emit({ type: 'info', message: `dot-stuffed ${stuffed} line${stuffed === 1 ? '' : 's'} of ${command.file} starting with "." (RFC 5321 §4.5.2)` });
        return [start, ...(await this.readEnd('end of data'))];
      }
      case 'bdat': {
        const content = await readLocalFile(':bdat', command.file);
        // The file's bytes exactly: BDAT needs no dot-stuffing and has no end-of-data marker.
        const chunks = splitChunks(content, command.chunkSize ? { kind: 'size', size: command.chunkSize } : { kind: 'whole' });
        if (!hasExtension(session.capabilities, 'CHUNKING')) {
          session.client.emit({ type: 'info', message: `${session.client.target} does not advertise CHUNKING (RFC 3030): sending BDAT anyway` });
        }
        const replies: Reply[] = [];
        for (const chunk of chunks) {
          session.write(chunkBytes(chunk, this.term));
          const answer = chunk.last ? await this.readEnd(bdatCommand(chunk)) : [await session.readReply(bdatCommand(chunk))];
          replies.push(...answer);
          // RFC 3030 §2: after a refused chunk, no more BDAT in this transaction.
          if (!isSuccess(answer[0]!)) break;
        }
        return replies;
      }
    }
  }
}

/** The file a local command sends, or the one-line error naming the command and the file. */
async function readLocalFile(command: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw fileError(`${command} ${file}`, 'read', error);
  }
}

/**
 * Runs lines until EOF or QUIT; at EOF sends QUIT if the connection in use is still open.
 */
export async function runScript(runner: LineRunner, lines: AsyncIterable<string>): Promise<void> {
  for await (const line of lines) {
    await runner.run(line);
    if (runner.finished) break;
  }
  await runner.flush();
  if (!runner.session.quitSent) await runner.session.quit();
}

/**
 * True when every reply was 2xx/3xx (221 to QUIT included) and none came unasked: a server
 * out of step is a problem found, even when each reply on its own was a success.
 */
export function everyReplySucceeded(session: SmtpSession): boolean {
  return session.exchanges.every((e) => e.superseded === true || (e.command !== UNSOLICITED && (isSuccess(e.reply) || (e.command === 'QUIT' && e.reply.code === 221))));
}
