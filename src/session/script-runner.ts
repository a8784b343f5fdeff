import { readFile } from 'node:fs/promises';
import { fileError } from '../errors.js';
import { dotStuff } from '../smtp/dot-stuffing.js';
import { isSuccess, type Reply } from '../smtp/reply.js';
import { normalizeToCrlf, Terminators, type TerminatorName } from '../smtp/terminators.js';
import { hasExtension } from '../smtp/capabilities.js';
import { isLocalCommand, localCommandHelp, parseLocalCommand } from './local-commands.js';
import { UNSOLICITED, type SmtpSession } from './smtp-session.js';

export interface ScriptOptions {
  /** Send groups of commands without waiting when the server advertises PIPELINING. */
  pipeline: boolean;
  /** Asks for the password of :auth (SMTPDBG_PASSWORD or a prompt, decided by the caller). */
  password: (user: string) => Promise<string>;
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
  private readonly session: SmtpSession;
  private readonly options: ScriptOptions;
  terminator: TerminatorName = 'crlf';
  inData = false;
  finished = false;
  private pipelineGroup: string[] = [];

  constructor(session: SmtpSession, options: ScriptOptions) {
    this.session = session;
    this.options = options;
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

  private async dataLine(line: string): Promise<Reply[]> {
    if (line !== '.') {
      this.session.write(Buffer.concat([Buffer.from(line, 'latin1'), this.term]));
      return [];
    }
    this.session.write(Buffer.concat([Buffer.from('.', 'latin1'), this.term]));
    this.inData = false;
    return [await this.session.readReply('end of data')];
  }

  private async local(line: string): Promise<Reply[]> {
    const command = parseLocalCommand(line);
    const session = this.session;
    switch (command.kind) {
      case 'help':
        for (const [usage, words] of localCommandHelp) session.client.emit({ type: 'info', message: `${usage.padEnd(24)} ${words}` });
        return [];
      case 'term':
        this.terminator = command.terminator;
        session.client.emit({ type: 'info', message: `typed lines now end with ${command.terminator.toUpperCase()}` });
        return [];
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
        const password = await this.options.password(command.user);
        return [await session.authenticate(command.mechanism, command.user, password)];
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
        let content: Buffer;
        try {
          content = await readFile(command.file);
        } catch (error) {
          throw fileError(`:data ${command.file}`, 'read', error);
        }
        const start = await session.command('DATA');
        if (start.code !== 354) return [start];
        session.write(Buffer.concat([dotStuff(normalizeToCrlf(content)), Buffer.from('.\r\n')]));
        return [start, await session.readReply('end of data')];
      }
    }
  }
}

/** Runs lines until EOF or QUIT; at EOF sends QUIT if the connection is still open. */
export async function runScript(session: SmtpSession, lines: AsyncIterable<string>, options: ScriptOptions): Promise<void> {
  const runner = new LineRunner(session, options);
  for await (const line of lines) {
    await runner.run(line);
    if (runner.finished) break;
  }
  await runner.flush();
  if (!session.quitSent) await session.quit();
}

/**
 * True when every reply was 2xx/3xx (221 to QUIT included) and none came unasked: a server
 * out of step is a problem found, even when each reply on its own was a success.
 */
export function everyReplySucceeded(session: SmtpSession): boolean {
  return session.exchanges.every((e) => e.superseded === true || (e.command !== UNSOLICITED && (isSuccess(e.reply) || (e.command === 'QUIT' && e.reply.code === 221))));
}
