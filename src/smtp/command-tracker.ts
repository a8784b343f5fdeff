import { authSecretStart } from './auth.js';
import { splitCommandLine } from './command-verb.js';
import type { Reply } from './reply.js';

/**
 * What the client has sent, read as the server reads it, so that every reply can be
 * matched to what it answers and every secret recognised, whichever way the bytes went
 * out (a command, a pipelined group, raw bytes, DATA content).
 *
 * Commands are lines ended by LF (servers take a bare LF as the end of a command line);
 * each one is owed a reply. After DATA, content runs until CRLF.CRLF (RFC 5321 §4.1.1.4),
 * whose reply is owed; after `BDAT n` (RFC 3030 §2) n octets of content follow. A server
 * that reads an end of data elsewhere (`\n.\n`, `\r.\r`, a dot between NULs — what
 * smuggling probes send) answers more replies than we can count: once such bytes went
 * out, the count is no longer known, and extra replies are passed on without blame.
 */

/** The most of a command line kept to read its verb and the start of an AUTH secret. */
const LINE_HEAD = 1024;

type Owed = 'greeting' | 'command' | 'mail' | 'rcpt' | 'rset' | 'data' | 'bdat' | 'bdat-last' | 'end-of-data' | 'lmtp-recipient' | 'auth' | 'auth-response' | 'starttls';

export type ReplyVerdict =
  /**
   * Answers something sent (or is the greeting). `moreForRecipients`: in LMTP, the first
   * reply to an end of data, followed by this many more, one per further recipient.
   */
  | { kind: 'expected'; moreForRecipients?: number }
  /**
   * Nothing was owed: the server is out of step. `after-starttls`: it came after the 220
   * to STARTTLS and before the handshake, where RFC 3207 §6 says nothing may be read.
   */
  | { kind: 'unsolicited'; why: 'no-command' | 'after-starttls' }
  /**
   * A 421 with nothing owed: RFC 5321 §3.8 lets a server announce its shutdown at any time,
   * "on the assumption that the client will receive it after the next command is issued".
   * It is the reply to the next command.
   */
  | { kind: 'shutdown' }
  /** Nothing counted was owed, but the count is not certain (see the class comment). */
  | { kind: 'uncounted' };

export interface SentView {
  /** What to record instead of the bytes, when a secret was hidden; undefined otherwise. */
  shown: Buffer | undefined;
}

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const NUL = 0x00;

/** Where the scan of DATA content stands: a state machine over terminators and dots. */
type DataState =
  | 'mid' // inside a line
  | 'bol' // at the start of a line
  | 'cr' // after a CR: a line end if LF follows, a bare CR otherwise
  | 'dot' // a dot at the start of a line
  | 'dot-cr'; // that dot, then CR

export class CommandTracker {
  private readonly redact: boolean;
  private readonly marker: Buffer;
  private lmtp: boolean;
  /** LMTP: recipients accepted in the current transaction, each owed a reply after the data. */
  private recipientsAccepted = 0;
  private owed: Owed[] = ['greeting'];
  private mode: 'command' | 'data' | 'bdat' = 'command';
  /** The count of replies owed can no longer be trusted (see the class comment). */
  private uncertain = false;
  /** Replies already taken as the answer to the next command (RFC 5321 §3.8 421s). */
  private credit = 0;
  /** A 220 to STARTTLS came: the next bytes are a TLS handshake, not replies. */
  private tlsPending = false;
  /** The last reply to an AUTH line or an answer to its challenge was a 334. */
  private authExchange = false;

  // The command line being sent.
  private head: number[] = [];
  private lineLength = 0;
  private lineKind: 'auth-response' | undefined;
  /** Offset in the line where its secret starts: null none, undefined not known yet. */
  private secretFrom: number | null | undefined;
  private markerShown = false;
  /** A CR inside a secret, held back until we know whether it is the line's terminator. */
  private heldCr = false;
  /** Bytes of a line without its LF yet, to which no reply has been matched. */
  private partialPending = false;

  // DATA and BDAT content.
  private dataState: DataState = 'bol';
  private strict = true;
  private dataSentBeforeReply = false;
  /** Content bytes went out since the last DATA or BDAT. */
  private contentSent = false;
  private bdatRemaining = 0;
  /** A chunk held what a server reading lines would take for an end of data (see nothingOwed). */
  private endInChunk = false;
  /** The last two octets of chunk content, for an end of data split across writes. */
  private chunkTail = Buffer.alloc(0);

  constructor(options: { redact: boolean; marker?: string; lmtp?: boolean }) {
    this.redact = options.redact;
    this.lmtp = options.lmtp ?? false;
    this.marker = Buffer.from(options.marker ?? '[redacted]', 'latin1');
  }

  /** Replies owed for what was sent (and the greeting), not yet received. */
  get outstanding(): number {
    return this.owed.length;
  }


  /** Feeds bytes as they are written. */
  sent(bytes: Buffer): SentView {
    const out: Buffer[] = [];
    let changed = false;
    let i = 0;
    while (i < bytes.length) {
      if (this.mode === 'data') {
        const start = i;
        i = this.scanData(bytes, i);
        if (this.redact) out.push(bytes.subarray(start, i));
        continue;
      }
      if (this.mode === 'bdat') {
        const take = Math.min(this.bdatRemaining, bytes.length - i);
        if (this.redact) out.push(bytes.subarray(i, i + take));
        this.contentSent = true;
        this.scanChunk(bytes.subarray(i, i + take));
        this.bdatRemaining -= take;
        i += take;
        if (this.bdatRemaining === 0) this.mode = 'command';
        continue;
      }
      const lf = bytes.indexOf(LF, i);
      const end = lf === -1 ? bytes.length : lf + 1;
      const piece = bytes.subarray(i, end);
      const shown = this.commandPiece(piece, lf !== -1);
      if (this.redact) {
        if (shown !== piece) changed = true;
        out.push(shown);
      }
      i = end;
    }
    return { shown: this.redact && changed ? Buffer.concat(out) : undefined };
  }

  /** Classifies a reply that arrived; call in arrival order. */
  received(reply: Pick<Reply, 'code'>): ReplyVerdict {
    const owed = this.owed.shift();
    if (owed === undefined) return this.nothingOwed(reply);
    switch (owed) {
      case 'data':
        if (reply.code !== 354) this.dataRefused();
        break;
      case 'mail':
      case 'rset':
        this.recipientsAccepted = 0;
        break;
      case 'rcpt':
        if (reply.code >= 200 && reply.code < 300) this.recipientsAccepted++;
        break;
      case 'end-of-data':
      case 'bdat-last':
        // RFC 2033 §4.2: in LMTP this reply is the first of one per accepted recipient.
        if (this.lmtp) {
          const more = Math.max(0, this.recipientsAccepted - 1);
          this.owed.unshift(...Array<Owed>(more).fill('lmtp-recipient'));
          this.recipientsAccepted = 0;
          return { kind: 'expected', moreForRecipients: more };
        }
        break;
      case 'starttls':
        if (reply.code === 220) this.tlsPending = true;
        break;
      case 'auth':
      case 'auth-response':
        this.authExchange = reply.code === 334;
        break;
      default:
        break;
    }
    return { kind: 'expected' };
  }

  /**
   * From now on the conversation is LMTP (RFC 2033): a relay learns it only when LHLO is
   * accepted, after the connection was made.
   */
  speakLmtp(): void {
    this.lmtp = true;
  }

  /**
   * After the TLS handshake the conversation starts again (RFC 3207 §4.2): nothing is owed,
   * and what was unknown before it no longer matters.
   */
  restartAfterTls(): void {
    this.owed = [];
    this.mode = 'command';
    this.uncertain = false;
    this.credit = 0;
    this.tlsPending = false;
    this.authExchange = false;
    this.endInChunk = false;
    this.chunkTail = Buffer.alloc(0);
    this.newLine();
  }

  /** Notes a "." alone between line ends (or NULs) in chunk content: a DATA-style end. */
  private scanChunk(piece: Buffer): void {
    if (this.endInChunk) return;
    const text = Buffer.concat([this.chunkTail, piece]).toString('latin1');
    if (/[\r\n\0]\.[\r\n\0]/.test(text)) this.endInChunk = true;
    this.chunkTail = Buffer.from(text.slice(-2), 'latin1');
  }

  private nothingOwed(reply: Pick<Reply, 'code'>): ReplyVerdict {
    if (this.tlsPending) return { kind: 'unsolicited', why: 'after-starttls' };
    if (this.uncertain) return { kind: 'uncounted' };
    if (this.mode !== 'command' && this.contentSent) {
      // The server answered before the end of data we sent: it ended the content elsewhere
      // (or gave up on it), and reads what follows as commands. We cannot count those.
      this.uncertain = true;
      return { kind: 'uncounted' };
    }
    if (this.endInChunk) {
      // A server that does not count BDAT octets (the bug the BDAT probes look for) may end
      // the message at a "." line inside a chunk and answer what follows: uncountable.
      this.uncertain = true;
      return { kind: 'uncounted' };
    }
    if (this.partialPending) {
      // A line we have not ended was answered: the server took some other byte (a CR) as
      // its end. What follows starts a new line, as it does for the server.
      this.partialPending = false;
      this.newLine();
      return { kind: 'uncounted' };
    }
    if (reply.code === 421) {
      this.credit++;
      return { kind: 'shutdown' };
    }
    return { kind: 'unsolicited', why: 'no-command' };
  }

  private dataRefused(): void {
    if (this.mode === 'data' || this.dataSentBeforeReply) {
      // Content sent behind a DATA that got no 354 is read by the server as commands.
      if (this.dataSentBeforeReply) this.uncertain = true;
      if (this.mode === 'data') this.mode = 'command';
      this.owed = this.owed.filter((o) => o !== 'end-of-data');
    }
    this.dataSentBeforeReply = false;
    this.contentSent = false;
  }

  /** Counts one more reply owed; false when an earlier 421 already answered it. */
  private owe(kind: Owed): boolean {
    if (this.credit > 0) {
      this.credit--;
      return false;
    }
    this.owed.push(kind);
    return true;
  }

  // ---------------------------------------------------------------- command lines

  private newLine(): void {
    this.head = [];
    this.lineLength = 0;
    this.lineKind = undefined;
    this.secretFrom = undefined;
    this.markerShown = false;
    this.heldCr = false;
  }

  /** One piece of a command line (through its LF when `ends`); returns what to show for it. */
  private commandPiece(piece: Buffer, ends: boolean): Buffer {
    if (this.lineLength === 0) {
      // RFC 4954 §4: while the server answers 334, every line is an answer to its challenge.
      // Sent behind an AUTH whose reply has not come, a line may be one too: hidden as well.
      if (this.authExchange || this.owed.some((o) => o === 'auth' || o === 'auth-response')) {
        this.lineKind = 'auth-response';
        this.secretFrom = 0;
      }
    }
    const offset = this.lineLength;
    for (let k = 0; k < piece.length && this.head.length < LINE_HEAD; k++) this.head.push(piece[k]!);
    this.lineLength += piece.length;
    if (this.secretFrom === undefined) {
      const body = ends ? this.head.slice(0, Math.max(0, this.head.length - 1)) : this.head;
      const start = authSecretStart(Uint8Array.from(body), ends || this.head.length >= LINE_HEAD);
      if (start !== undefined) this.secretFrom = start;
    }
    const shown = this.redact ? this.redactPiece(piece, offset, ends) : piece;
    if (ends) this.endLine();
    else this.partialPending = true;
    return shown;
  }

  /**
   * The piece with the bytes of its line's secret replaced by one marker (once per line);
   * its terminator (LF, and a CR right before it) stays visible. The same buffer when
   * nothing in it is secret.
   */
  private redactPiece(piece: Buffer, offset: number, ends: boolean): Buffer {
    const from = this.secretFrom;
    if (from === null || from === undefined || from >= offset + piece.length) return piece;
    const start = Math.max(0, from - offset);
    let end = ends ? piece.length - 1 : piece.length;
    const parts: Buffer[] = [piece.subarray(0, start)];
    let hidden = false;
    let restored = false;
    if (this.heldCr) {
      this.heldCr = false;
      // The CR held back at the end of the last piece is the terminator when LF follows at once.
      restored = ends && end === 0;
      if (restored) parts.push(Buffer.from([CR]));
      else hidden = true;
    }
    let heldNow = false;
    if (end > start && piece[end - 1] === CR) {
      end--;
      heldNow = !ends;
    }
    if (end > start) hidden = true;
    if (hidden && !this.markerShown) {
      this.markerShown = true;
      parts.push(this.marker);
    }
    if (ends) parts.push(piece.subarray(end));
    this.heldCr = heldNow;
    if (!hidden && !heldNow && !restored) return piece;
    return Buffer.concat(parts);
  }

  private endLine(): void {
    this.partialPending = false;
    const kind = this.lineKind;
    let end = this.head.length - 1;
    if (end > 0 && this.head[end - 1] === CR) end--;
    const body = Buffer.from(this.head.slice(0, Math.max(0, end)));
    this.newLine();
    if (kind === 'auth-response') {
      this.owe('auth-response');
      return;
    }
    const { verb, argument } = splitCommandLine(body.toString('latin1'));
    switch (verb) {
      case 'AUTH':
        this.owe('auth');
        return;
      case 'STARTTLS':
        this.owe('starttls');
        return;
      case 'DATA':
        // The content is read as such at once: a client that sends it before the 354
        // (against RFC 2920 §3.1) means it as content; if no 354 comes, see dataRefused.
        if (this.owe('data')) this.startData();
        return;
      case 'BDAT': {
        // RFC 3030 §2: BDAT size [LAST], then exactly size octets, answered once.
        const size = /^(\d+)(?:[ \t]+(LAST))?[ \t]*$/i.exec(argument);
        this.owe(size?.[2] ? 'bdat-last' : 'bdat');
        if (size && Number(size[1]) > 0) {
          this.mode = 'bdat';
          this.contentSent = false;
          this.bdatRemaining = Number(size[1]);
        }
        return;
      }
      case 'MAIL':
        this.owe('mail');
        return;
      case 'RCPT':
        this.owe('rcpt');
        return;
      case 'RSET':
        this.owe('rset');
        return;
      default:
        this.owe('command');
    }
  }

  // ---------------------------------------------------------------- DATA content

  private startData(): void {
    this.mode = 'data';
    this.dataState = 'bol';
    this.strict = true;
    this.dataSentBeforeReply = false;
    this.contentSent = false;
  }

  /**
   * Scans content from `from` until the end of data or the end of `bytes`; returns where it
   * stopped (after the end of data's LF when it found it).
   */
  private scanData(bytes: Buffer, from: number): number {
    if (this.owed.includes('data')) this.dataSentBeforeReply = true;
    this.contentSent = true;
    // Most content is the middle of lines: jump from one CR or LF to the next. Each search
    // is remembered until passed, so content without any CR is not searched again per line.
    let nextCr = -2;
    let nextLf = -2;
    let i = from;
    while (i < bytes.length) {
      if (this.dataState === 'mid') {
        if (nextCr !== -1 && nextCr < i) nextCr = bytes.indexOf(CR, i);
        if (nextLf !== -1 && nextLf < i) nextLf = bytes.indexOf(LF, i);
        const next = nextCr === -1 ? nextLf : nextLf === -1 ? nextCr : Math.min(nextCr, nextLf);
        if (next === -1) return bytes.length;
        i = next;
      }
      if (this.stepData(bytes[i++]!)) {
        this.mode = 'command';
        this.owe('end-of-data');
        return i;
      }
    }
    return i;
  }

  /** One byte of content; true when it completes CRLF.CRLF. */
  private stepData(byte: number): boolean {
    switch (this.dataState) {
      case 'mid':
        return this.afterTerminatorByte(byte);
      case 'cr':
        if (byte === LF) {
          this.dataState = 'bol';
          this.strict = true;
          return false;
        }
        // A bare CR: some servers end a line there, so what follows may start one.
        this.strict = false;
        return this.atLineStart(byte);
      case 'bol':
        return this.atLineStart(byte);
      case 'dot':
        if (byte === NUL) {
          this.strict = false;
          return false;
        }
        if (byte === CR) {
          this.dataState = 'dot-cr';
          return false;
        }
        if (byte === LF) {
          // `.` then a bare LF: an end of data to lenient servers.
          this.uncertain = true;
          this.dataState = 'bol';
          this.strict = false;
          return false;
        }
        this.dataState = 'mid';
        return this.afterTerminatorByte(byte);
      case 'dot-cr':
        if (byte === LF) {
          if (this.strict) return true;
          this.uncertain = true;
          this.dataState = 'bol';
          this.strict = true;
          return false;
        }
        // `.` then a bare CR: an end of data to some servers.
        this.uncertain = true;
        this.strict = false;
        return this.atLineStart(byte);
    }
  }

  private atLineStart(byte: number): boolean {
    if (byte === DOT) {
      this.dataState = 'dot';
      return false;
    }
    if (byte === NUL) {
      // A NUL before the dot: servers that drop NULs see a lone dot.
      this.dataState = 'bol';
      this.strict = false;
      return false;
    }
    return this.afterTerminatorByte(byte);
  }

  private afterTerminatorByte(byte: number): boolean {
    if (byte === CR) this.dataState = 'cr';
    else if (byte === LF) {
      this.dataState = 'bol';
      this.strict = false;
    } else this.dataState = 'mid';
    return false;
  }
}
