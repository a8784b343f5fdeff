import { Option, type Command } from 'commander';
import { timestampsOption } from '../transcript/text-format.js';
import { commandList } from './command-list.js';
import { PauseStages } from '../inject/pause.js';
import { QuitAfterStages } from '../session/opening.js';
import { OpeningMisbehaviourStages } from '../session/misbehaviour.js';
import { localCommandHelp } from '../session/local-commands.js';
import { collect, configureCommand, setExitCode } from './action.js';
import { addConnectionOptions, type ConnectionCliOptions } from './connection-options.js';
import type { TlsFactsCliOptions } from './tls-facts.js';

export interface SessionCliOptions extends ConnectionCliOptions, TlsFactsCliOptions {
  quitAfter?: string;
  from: string;
  to: string[];
  pipeline?: boolean;
  /** false with --no-dot-stuff. */
  dotStuff: boolean;
  pause?: string[];
  timestamps?: boolean;
  closeAfter?: string;
  stallAfter?: string[];
  tlsAbort?: boolean;
}

export function registerSession(program: Command): void {
  const command = program
    .command('session')
    .description(commandList['session'].summary)
    .argument('[target]', 'host, host:port, [v6]:port or unix:/path/to/socket (default port 25, 24 with --lmtp; 465 implies --tls); none: the embedded capture server');
  addConnectionOptions(configureCommand(command))
    .addOption(new Option('--quit-after <stage>', 'stop after this stage and send QUIT').choices([...QuitAfterStages]))
    .option('--from <address>', 'MAIL FROM for --quit-after mail|rcpt', 'smtpdbg@localhost')
    .option('--to <address>', 'RCPT TO for --quit-after rcpt (repeatable)', collect)
    .option('--pipeline', 'scripted mode: send groups of commands without waiting where PIPELINING is advertised')
    .option(...timestampsOption)
    .option('--no-dot-stuff', 'send DATA lines starting with "." as they are (no RFC 5321 §4.5.2 transparency; :stuff on|off)')
    .option('--close-after <stage>', `scripted mode: hang up without QUIT after a stage of the opening (${OpeningMisbehaviourStages.join(', ')}); the script is not run`)
    .option('--stall-after <stage=ms>', `scripted mode: send nothing for MS ms after a stage of the opening (${OpeningMisbehaviourStages.join(', ')}), then run the script; repeatable`, collect)
    .option('--tls-abort', 'scripted mode: send a TLS ClientHello where the handshake starts (after the 220 to STARTTLS; with --tls at once), then close; the script is not run')
    .option('--pause <stage=ms>', `scripted mode: wait MS before a stage: ${PauseStages.join(', ')} (content: after the 354); repeatable`, collect)
    // The peer's certificates: as PEM, in files, their stapled OCSP status, DANE.
    .option('--showcerts', "print the server's certificate chain as PEM after the TLS summary (as openssl s_client -showcerts)")
    .option('--save-certs <dir>', "write the server's chain to DIR/0.pem (its own certificate), 1.pem … (DIR is created)")
    .option('--ocsp', 'ask the server to staple an OCSP response and check it: status, dates, for this certificate, signature')
    .option('--dane', "look up TLSA at _PORT._tcp.HOST and match the server's chain against it (RFC 6698, 7671, 7672)")
    .option('--dns-server <host[:port]>', 'for --dane: ask this DNS server (a validating resolver you trust) instead of the first nameserver of /etc/resolv.conf')
    .addHelpText('after', `
Local commands (interactive and scripted) start with ':' so that no SMTP line is swallowed:
  ${localCommandHelp.map(([name]) => name).join('  ')}

DATA content (typed lines and :data FILE alike): each line ended as :term says (CRLF by
default), bytes otherwise as given; a line starting with "." is dot-stuffed and the output
says so, unless :stuff off or --no-dot-stuff.

--lmtp (RFC 2033): LHLO instead of EHLO; after the lone "." (or :bdat's last chunk) one
reply per accepted recipient is read and shown. :bdat sends a file's bytes exactly (no
dot-stuffing, no end of data), each chunk announced with its size (RFC 3030).
A unix:/path target is this machine: credentials may go over it in clear, as to loopback.

Scripted mode (stdin not a terminal): one line per command, each reply awaited; QUIT at EOF.
--dane: the answer counts only with the AD bit of the DNS server, which says only that THAT
server validated it: use a validating resolver you trust, on a path you trust.
The opening (EHLO, STARTTLS, --xclient/--xforward, --auth, and with --quit-after mail|rcpt
MAIL and RCPT with their parameters) is the same as inject's: see smtpdbg inject --help.
The interactive session opens the same way (--auth with any mechanism, --xclient,
--xforward); type MAIL/RCPT with their parameters yourself.
:auth [MECHANISM] [USER] authenticates later: MECHANISM as --auth takes it (none: the
strongest offered, and the line says which), USER --user's when not given.

Misbehaving on purpose (scripted mode, for testing servers): --close-after, --stall-after
and --tls-abort act in the opening, as inject's do (see smtpdbg inject --help); ehlo means
after the last EHLO (the one after STARTTLS), tls after the handshake. Later stages are
the script's: :close hangs up, :sleep MS stalls. Exit 0 when the close or the aborted
handshake was carried out, 1 when the stage was never reached (a refusal, no STARTTLS).

Exit: 0 every reply 2xx/3xx, 1 a 4xx/5xx came back (or --dane failed with authenticated
records or a failed lookup, or --ocsp says revoked), 2 usage error, a --save-certs file that
cannot be written, or a parameter or XCLIENT/XFORWARD the server does not offer, 3
connection/TLS/protocol failure (also: a wrong SCRAM server signature).`)
    .action(async (target: string | undefined, options: SessionCliOptions) => {
      const { runSessionCommand } = await import('./session-run.js');
      setExitCode(await runSessionCommand(target, options));
    });
}
