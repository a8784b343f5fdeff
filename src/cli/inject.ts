import { Option, type Command } from 'commander';
import { commandList } from './command-list.js';
import { timestampsOption } from '../transcript/text-format.js';
import { eodNames } from '../smtp/eod.js';
import { PauseStages } from '../inject/pause.js';
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
}

const atLeast = (option: string, min: number) => wholeNumber(option, { min });

export function registerInject(program: Command): void {
  const command = program
    .command('inject')
    .description(commandList['inject'].summary)
    .argument('[target]', 'host, host:port or [v6]:port (default port 25); none: the embedded capture server, and what it stored is shown');
  addConnectionOptions(configureCommand(command))
    .option('--from <address>', 'envelope sender (MAIL FROM), a@b or <a@b>; \'\' or \'<>\' for the null sender', 'smtpdbg@localhost')
    .option('--to <address>', 'envelope recipient (repeatable; default postmaster@localhost); every one is tried', collect)
    .option(...timestampsOption)
    .option('--data <file>', 'send this file\'s bytes (- for stdin); its lines may end in LF, CRLF or CR')
    .option('--mbox <file>', 'replay a message of this mbox (with --index): From_ line removed, >From un-escaped per variant')
    .option('--index <n>', 'which message of --mbox, 1-based as lint-mbox numbers them', atLeast('--index', 1))
    .option('--header <field>', '"Name: value" in the built-in message, replacing its field of that name (repeatable)', collect)
    .option('--add-header <field>', '"Name: value" added to the built-in message after its fields (repeatable)', collect)
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
  smtpdbg inject 127.0.0.1:2525 --count 2000 --concurrency 10
  smtpdbg inject mx.example.org --pause mail=30000  meet the server's idle timeout before MAIL
  smtpdbg inject mx.example.org --retry 3           greylisted: retried after the delay the 451 names
  smtpdbg inject localhost --term cr --to me@localhost --observe mbox:/var/mail/me
                                                    what the server stored, diffed against what was sent

The end of data carries the last line's terminator (RFC 5321 §4.1.1.4); after a
non-standard one, the standard CRLF.CRLF follows so that the transaction can finish.

Exit: 0 accepted for every recipient; 1 a recipient or the message refused, or the
server ended the message at a fake end of data (smuggled, ended-early, ended-early-refused;
--eod all: any variant); 2 usage error, unreadable or too large input; 3 connection/TLS
failure, or the server ended the conversation (421, closed, timeout). With --observe:
1 also when the message was split in two, or --expect does not hold; 3 when the store
cannot be read or the message does not appear within --observe-timeout.`)
    .action(async (target: string | undefined, options: InjectCliOptions) => {
      const { runInjectCommand } = await import('./inject-run.js');
      setExitCode(await runInjectCommand(target, options));
    });
}
