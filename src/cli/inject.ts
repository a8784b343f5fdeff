import { Option, type Command } from 'commander';
import { commandList } from './command-list.js';
import { timestampsOption } from '../transcript/text-format.js';
import { eodNames } from '../smtp/eod.js';
import { PauseStages } from '../inject/pause.js';
import { MisbehaviourStages } from '../session/misbehaviour.js';
import { collect, configureCommand, setExitCode } from './action.js';
import { addConnectionOptions, type ConnectionCliOptions } from './connection-options.js';
import type { ObserveCliOptions } from './inject-observe.js';
import type { TlsFactsCliOptions } from './tls-facts.js';
import { milliseconds, wholeNumber } from './option-parsers.js';

export interface InjectCliOptions extends ConnectionCliOptions, ObserveCliOptions, Omit<TlsFactsCliOptions, 'dane' | 'dnsServer'> {
  timestamps?: boolean;
  from: string;
  to?: string[];
  data?: string;
  mbox?: string;
  index?: number;
  header?: string[];
  addHeader?: string[];
  body?: string;
  attach?: string[];
  closeAfter?: string;
  stallAfter?: string[];
  tlsAbort?: boolean;
  term?: string;
  termAfter?: string;
  cmdTerm: string;
  dotStuff: boolean;
  eod: string;
  smuggle?: boolean;
  matrix?: boolean;
  count?: number;
  concurrency?: number;
  retry?: number;
  pause?: string[];
  maxSize?: number;
  bdat?: boolean;
  chunkSize?: number;
  chunks?: string;
}

const atLeast = (option: string, min: number) => wholeNumber(option, { min });

export function registerInject(program: Command): void {
  const command = program
    .command('inject')
    .description(commandList['inject'].summary)
    .argument('[target]', 'host, host:port, [v6]:port or unix:/path/to/socket (default port 25, 24 with --lmtp); none: the embedded capture server, and what it stored is shown');
  addConnectionOptions(configureCommand(command))
    .option('--from <address>', 'envelope sender (MAIL FROM), a@b or <a@b>; \'\' or \'<>\' for the null sender', 'smtpdbg@localhost')
    .option('--to <address>', 'envelope recipient (repeatable; default postmaster@localhost); every one is tried', collect)
    .option(...timestampsOption)
    .option('--data <file>', 'send this file\'s bytes (- for stdin); its lines may end in LF, CRLF or CR')
    .option('--mbox <file>', 'replay a message of this mbox (with --index): From_ line removed, >From un-escaped per variant')
    .option('--index <n>', 'which message of --mbox, 1-based as lint-mbox numbers them', atLeast('--index', 1))
    .option('--header <field>', '"Name: value" in the built-in message, replacing every field of that name (repeatable)', collect)
    .option('--add-header <field>', '"Name: value" added to the built-in message after its fields (repeatable)', collect)
    .option('--body <text>', 'the built-in message\'s body: TEXT, or @FILE (@- for stdin), UTF-8; MIME-encoded as needed')
    .option('--attach <file>', 'attach FILE (repeatable; multipart/mixed, base64); FILE;type=MIME/TYPE sets its type (else guessed from the extension), ;filename=NAME its name', collect)
    .addOption(new Option('--term <terminator>', 'end every message line with this (default crlf)').choices(['crlf', 'cr', 'lf']))
    .option('--term-after <header>', 'apply --term to that header field\'s line only, CRLF elsewhere')
    .addOption(new Option('--cmd-term <terminator>', 'end SMTP command lines with this').choices(['crlf', 'cr', 'lf']).default('crlf'))
    .option('--no-dot-stuff', 'send lines starting with "." as they are (no RFC 5321 §4.5.2 transparency)')
    .option('--eod <sequence>', `end of data: ${eodNames.join(', ')}, all, or escaped bytes (\\r \\n \\0 \\xHH)`, 'crlf')
    .option('--smuggle', 'after a non-standard --eod, write a second transaction in the same write and classify what the server did')
    .option('--matrix', 'send the message with --term crlf, cr and lf (one connection each) and show the replies side by side')
    .option('--count <n>', 'send N copies (RSET between transactions)', atLeast('--count', 1))
    .option('--concurrency <c>', 'connections for --count', atLeast('--concurrency', 1))
    .option('--retry <n>', 'on a 4xx (421, 451 greylisting …) or a dropped connection, reconnect up to N times, after the delay the reply asks for (at most 5 min) or a backoff (1 s, 2 s, 4 s …)', atLeast('--retry', 0))
    .option('--pause <stage=ms>', `wait MS before a stage: ${PauseStages.join(', ')} (content: after the 354); repeatable`, collect)
    .option('--close-after <stage>', `hang up without QUIT after a stage: ${MisbehaviourStages.join(', ')} (mid-data: after half the message's octets)`)
    .option('--stall-after <stage=ms>', 'send nothing for MS ms after a stage (same stages), then carry on; repeatable', collect)
    .option('--tls-abort', 'send a TLS ClientHello where the handshake starts (after the 220 to STARTTLS; with --tls at once), then close')
    .option('--bdat', 'send the message with BDAT (CHUNKING, RFC 3030) instead of DATA: bytes exactly as they are, no dot-stuffing, no end-of-data marker; pipelined where PIPELINING is offered')
    .option('--chunk-size <octets>', 'with --bdat: chunks of this many octets (default: the whole message in one BDAT LAST)', atLeast('--chunk-size', 1))
    .option('--chunks <sizes>', 'with --bdat: chunk sizes in order, e.g. 100,7,1 (what remains goes in one last chunk)')
    .option('--max-size <octets>', 'largest message read from --data/--mbox, and sent even above the server\'s SIZE (default: 104857600, and the server\'s SIZE)', atLeast('--max-size', 1))
    .option('--observe <source>', 'read back what the server stored or passed on: mbox:PATH, maildir:DIR, imap://user@host[:port]/MAILBOX, imaps://…, or relay:HOST:PORT (listen there as its next hop); shown byte by byte against what was sent')
    .option('--observe-timeout <ms>', 'how long --observe waits for the message to appear (default 30000)', milliseconds('--observe-timeout'))
    .option('--observe-delete', 'with an imap:// source: delete the copies found once read')
    .option('--no-trace-header', 'with --observe: mark the message only on its last body line, not with an X-Smtpdbg-Trace header field')
    .addOption(new Option('--expect <outcome>', 'with --observe: exit 1 unless the message was stored unchanged but for trace fields (unchanged), or in one piece (no-smuggling)').choices(['unchanged', 'no-smuggling']))
    .option('--showcerts', "single sends: print the server's certificate chain as PEM after the TLS summary (as session --showcerts)")
    .option('--save-certs <dir>', "single sends: write the server's chain to DIR/0.pem (its own), 1.pem …")
    .option('--ocsp', 'single sends: ask the server to staple an OCSP response and check it as session --ocsp does (revoked: exit 1)')
    .addHelpText('after', `
Examples:
  smtpdbg inject --term cr                          a CR-terminated message to the embedded server
  smtpdbg inject mx.example.org --term cr --term-after Date --to you@example.org
  smtpdbg inject mx.example.org --matrix --term-after Date
  smtpdbg inject mx.example.org --eod lf --smuggle
  smtpdbg inject mx.example.org --eod all           smuggling probe, one connection per variant
  smtpdbg inject mx.example.org --mbox notspam --index 3
  smtpdbg inject mx.example.org --body @note.txt --attach 'report.bin;type=application/pdf' --term lf
  smtpdbg inject 127.0.0.1:2525 --count 2000 --concurrency 10
  smtpdbg inject mx.example.org --pause mail=30000  meet the server's idle timeout before MAIL
  smtpdbg inject mx.example.org --close-after rcpt  hang up after the RCPTs, without QUIT
  smtpdbg inject mx.example.org --stall-after mid-data=60000
                                                    silent for a minute in the middle of the message
  smtpdbg inject mx.example.org --retry 3           greylisted: retried after the delay the 451 names
  smtpdbg inject mx.example.org --bdat --chunks 100,7 --term lf
                                                    bare LFs in BDAT chunks of 100, 7 and the rest
  smtpdbg inject unix:/var/run/dovecot/lmtp --lmtp --to a@example.org --to b@example.org
                                                    LMTP over a local socket: one reply per recipient
  smtpdbg inject localhost --term cr --to me@localhost --observe mbox:/var/mail/me
                                                    what the server stored, diffed against what was sent
  smtpdbg inject mx.example.org --auth --user me     AUTH with the strongest mechanism offered (shown)
  smtpdbg inject 127.0.0.1 --xclient ADDR=192.0.2.7 --xclient HELO=test.example
                                                    Postfix: test its access rules as another client
  smtpdbg inject mx.example.org --dsn-notify failure,delay --dsn-ret hdrs --smtputf8 --to jö@example.org

AUTH: SCRAM-SHA-256 (the server's signature is checked), CRAM-MD5, PLAIN, LOGIN, and
XOAUTH2 with the token in SMTPDBG_OAUTH_TOKEN. --auth alone picks, in that order,
what the server offers (XOAUTH2 first when the token is set).
MAIL/RCPT parameters go out only when the server advertises their extension (SIZE is
added from the message where SIZE is offered); otherwise nothing is sent and the run
exits 2, unless --force-param. The same holds for --xclient/--xforward, which are sent
after EHLO (after XCLIENT, EHLO again, with its HELO if one was given).

The end of data carries the last line's terminator (RFC 5321 §4.1.1.4); after a
non-standard one, the standard CRLF.CRLF follows so that the transaction can finish.
With --bdat there is no end of data: each chunk is announced with its size.

--lmtp (RFC 2033): LHLO instead of EHLO; after the message, one reply per accepted
recipient, in RCPT order, each shown and in --json (recipients[].delivery).
A unix:/path target is this machine: credentials may go over it in clear, as to loopback.

Exit: 0 accepted for every recipient; 1 a recipient or the message refused (in LMTP,
also a recipient's own reply after the data), or the
server ended the message at a fake end of data (smuggled, ended-early, ended-early-refused;
--eod all: any variant), or AUTH refused; 2 usage error, unreadable or too large input, a
parameter or XCLIENT/XFORWARD the server does not offer; 3 connection/TLS failure, the
server ended the conversation (421, closed, timeout), its SCRAM signature is wrong, or
--bdat to a server that does not offer CHUNKING. With --observe:
1 also when the message was split in two, or --expect does not hold; 3 when the store
cannot be read or the message does not appear within --observe-timeout.
With --close-after or --tls-abort: 0 when the connection was closed at that stage as
asked; 1 when a refusal, or a server without STARTTLS, kept the conversation from reaching
it; 3 when the connection failed before it.`)
    .action(async (target: string | undefined, options: InjectCliOptions) => {
      const { runInjectCommand } = await import('./inject-run.js');
      setExitCode(await runInjectCommand(target, options));
    });
}
