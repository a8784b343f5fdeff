import { isIP } from 'node:net';
import type { Command } from 'commander';
import {
  DEFAULT_DATA_MIN_RATE,
  DEFAULT_DATA_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_LINE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_ERRORS,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_SCENARIO_OPTIONS,
} from '../server/defaults.js';
import type { BuiltInScenario } from '../server/scenarios/scenario.js';
import { UsageError } from '../errors.js';
import type { ListenAddress } from '../net/listener.js';
import { milliseconds, wholeNumber } from './option-parsers.js';
import { collect, configureCommand, setExitCode } from './action.js';
import { commandList } from './command-list.js';
import { timestampsOption } from '../transcript/text-format.js';

export interface ServeCliOptions {
  /** As given (repeatable); undefined: the default address. */
  listen?: string[];
  tls?: boolean;
  requestClientCert?: boolean;
  mbox?: string;
  fsync?: boolean;
  cert?: string;
  key?: string;
  certOut?: string;
  hostname: string;
  maxSize: number;
  idleTimeout: number;
  lineTimeout: number;
  dataTimeout: number;
  dataMinRate: number;
  starttls: boolean;
  showSecrets?: boolean;
  authUsers?: string;
  json?: boolean;
  quiet?: boolean;
  lint?: boolean;
  timestamps?: boolean;
  scenario?: string;
  listScenarios?: boolean;
  idle: number;
  greylistDelay: number;
  delay: number;
  maxConnections: number;
  maxErrors: number;
  lmtp?: boolean;
  xclient?: boolean;
}

/** The spelling of a listen address, the same for serve and proxy (shown in their help). */
export const LISTEN_SPELLING = 'PORT, HOST:PORT, [IPV6]:PORT or unix:PATH, each optionally after tls: for implicit TLS';

/** `PORT`, `HOST:PORT` or `[V6]:PORT`; port 0 asks for an ephemeral port (tests). */
function parseListenAddress(text: string, option = '--listen', given = text): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]:|([^:[\]]*):)?(\d+)$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new UsageError(`${option} ${given}: expected ${LISTEN_SPELLING} (port 0-65535)`);
  const v6 = match[1];
  if (v6 !== undefined && isIP(v6) !== 6) throw new UsageError(`${option} ${given}: ${v6} is not an IPv6 address`);
  return { host: v6 ?? (match[2] || '127.0.0.1'), port };
}

export interface ListenSpec {
  address: ListenAddress;
  /** TLS from the first byte (RFC 8314 §3.3, port 465 style) instead of plain text. */
  implicitTls: boolean;
}

/**
 * One `--listen` value: `tls:` asks for implicit TLS (`implicitTls` says so for every value
 * without it: serve --tls, proxy --listen-tls), `unix:PATH` for a Unix-domain socket.
 */
export function parseListenSpec(text: string, option: string, implicitTls: boolean): ListenSpec {
  const tls = text.startsWith('tls:');
  const rest = tls ? text.slice(4) : text;
  if (rest.startsWith('unix:')) {
    const path = rest.slice(5);
    if (path === '') throw new UsageError(`${option} ${text}: unix: needs the socket's path, e.g. unix:/tmp/smtpdbg.sock`);
    return { address: { kind: 'unix', path }, implicitTls: tls || implicitTls };
  }
  const { host, port } = parseListenAddress(rest, option, text);
  return { address: { kind: 'tcp', host, port }, implicitTls: tls || implicitTls };
}


/** The scenario options and the built-in scenarios that read them (kept here so that --help loads no scenario code). */
const SCENARIO_OPTIONS = [
  ['idle', '--idle', 'idle-421'],
  ['greylistDelay', '--greylist-delay', 'greylist'],
  ['delay', '--delay', 'slow'],
] as const;

/** A scenario option given for a scenario that does not read it is a mistake worth saying. */
function checkScenarioOptions(command: Command, scenario: BuiltInScenario | undefined, given: string | undefined): void {
  for (const [key, flag, reader] of SCENARIO_OPTIONS) {
    if (command.getOptionValueSource(key) !== 'cli') continue;
    if (scenario?.options.includes(flag)) continue;
    throw new UsageError(`${flag} applies to --scenario ${reader}${given === undefined ? '' : `, not to --scenario ${given}`}`);
  }
}

const SCENARIO_HELP = `
Scenarios (--scenario NAME; --list-scenarios says what each one imitates):
  auth-fail-close, idle-421 (--idle MS), greylist (--greylist-delay MS), ehlo-close,
  tls-abort, bare-lf-reject, bare-lf-normalize, cr-merge, slow (--delay MS), pipelining-strict,
  chunking-strict, bdat-reject, xclient, lmtp-partial (speaks LMTP)

Scenario files (--scenario FILE): JSON, // and /* */ comments allowed. The first rule that
matches decides; with none, the server answers as usual.
  { "description": "…",
    "capabilities": { "remove": ["PIPELINING"], "add": ["X-DEMO"] },   EHLO keywords
    "idleTimeoutMs": 10000,                                             like --idle-timeout
    "lmtp": true,                                                       like --lmtp
    "rules": [ RULE, … ] }
  RULE matches with:
    "on"          "command" (default), "connect", "auth" (exchange complete), "message"
                  (end of data), "recipient" (LMTP: one recipient's reply after the
                  data; "reply" only) or "idle" (idle timeout)
    "verb"        command verb, any case                                 (command)
    "match"       regex, case-insensitive, on the command line, the AUTH user,
                  the message content or the recipient   (command, auth, message, recipient)
    "state"       greeting|ready|mail|rcpt|data|bdat|auth, or a list of them  (command)
    "occurrence"  N: the Nth time on this connection, the Nth recipient (recipient);
                  "N+": from the Nth                     (command, message, recipient)
    "tls"         true: only inside TLS; false: only before it
    "pipelined"   true: only when more commands arrived behind it        (command)
  and answers with (at least one):
    "reply"       a reply line or a list of lines, as sent, CRLF added: "451 4.7.1 Later"
                  or ["250-first", "250 last"]
    "raw"         bytes sent exactly, escapes \\r \\n \\t \\0 \\xHH \\\\, no CRLF added
    "delayMs"     wait this long first
    "close"       "now" (no reply) or "after-reply"
    "abortTls"    true, with "verb": "STARTTLS": send 220, then close in the handshake
  "comment" (a string) is allowed in any rule and at the top level, as a note.
  A bad file is reported with its name and the rule (rules[2].close) or the JSON line:column,
  exit 2.`;

export function registerServe(program: Command): void {
  configureCommand(program.command('serve'))
    .description(commandList.serve.summary)
    .option('--listen <addr>', `where to listen (repeatable): ${LISTEN_SPELLING}; loopback unless you say otherwise (default: 127.0.0.1:2525)`, collect)
    .option('--tls', 'implicit TLS (port 465 style, RFC 8314): the handshake comes before the banner, on every --listen without a tls: prefix')
    .option('--request-client-cert', 'ask TLS clients for a certificate and describe the one they send (any is accepted, none is verified)')
    .option('--mbox <file>', 'append every message, bytes as received after dot-unstuffing, to FILE in mboxrd format')
    .option('--fsync', 'sync the mbox to the disk before each 250 (as an MTA does); slower under load')
    .option('--cert <file>', 'certificate (PEM) for STARTTLS and implicit TLS; default: a self-signed one generated at start')
    .option('--key <file>', 'private key (PEM) for --cert')
    .option('--cert-out <file>', 'write the certificate offered for STARTTLS (PEM) to FILE, for a client to trust (--ca) or pin')
    .option('--hostname <name>', 'name in the banner, the EHLO reply and the generated certificate', 'localhost')
    .option('--max-size <octets>', 'message size limit advertised in SIZE; larger messages get 552', wholeNumber('--max-size', { min: 1 }), DEFAULT_MAX_MESSAGE_SIZE)
    .option('--idle-timeout <ms>', 'close a silent connection with 421 4.4.2 after this long (0: never)', milliseconds('--idle-timeout', 0), DEFAULT_IDLE_TIMEOUT_MS)
    .option('--line-timeout <ms>', 'close with 421 4.4.2 when a command line is not complete this long after it began (0: never)', milliseconds('--line-timeout', 0), DEFAULT_LINE_TIMEOUT_MS)
    .option('--data-timeout <ms>', 'how far a message may fall behind --data-min-rate before 421 4.4.2 (0: no limit)', milliseconds('--data-timeout', 0), DEFAULT_DATA_TIMEOUT_MS)
    .option('--data-min-rate <octets>', 'the DATA rate that never runs out of time (0: --data-timeout is a fixed deadline for the whole message)', wholeNumber('--data-min-rate', { min: 0 }), DEFAULT_DATA_MIN_RATE)
    .option('--no-starttls', 'do not offer STARTTLS')
    .option('--show-secrets', 'show AUTH payloads instead of redacting them')
    .option('--auth-users <file>', 'check AUTH against FILE (user:password lines) instead of accepting any credentials, and offer SCRAM-SHA-256 (see below)')
    .option('--json', 'print one JSON object per event instead of text')
    .option(...timestampsOption)
    .option('--quiet', 'do not print the bytes of each command, reply and DATA line; only connections, messages and errors (for load)')
    .option('--lint', 'lint every received message as it is stored and print the lint-mbox findings under it (each message is then held in memory, up to --max-size)')
    .option('--scenario <name|file>', 'misbehave on purpose: a built-in scenario or a scenario file (see below)')
    .option('--list-scenarios', 'list the built-in scenarios and what real server each imitates, then exit')
    .option('--idle <ms>', 'idle-421: send 421 4.4.2 after this much silence', milliseconds('--idle'), DEFAULT_SCENARIO_OPTIONS.idleMs)
    .option('--greylist-delay <ms>', 'greylist: how long a new client/sender/recipient triplet gets 451', milliseconds('--greylist-delay', 0), DEFAULT_SCENARIO_OPTIONS.greylistDelayMs)
    .option('--delay <ms>', 'slow: wait this long before every reply', milliseconds('--delay', 0), DEFAULT_SCENARIO_OPTIONS.delayMs)
    .option('--max-connections <n>', 'connections at once; one more gets 421 4.7.0 and is closed (0: no limit)', wholeNumber('--max-connections', { min: 0 }), DEFAULT_MAX_CONNECTIONS)
    .option('--max-errors <n>', 'error replies per connection before 421 4.7.0 and a close (0: no cap)', wholeNumber('--max-errors', { min: 0 }), DEFAULT_MAX_ERRORS)
    .option('--lmtp', 'speak LMTP (RFC 2033): LHLO instead of EHLO/HELO, one reply per recipient after the data')
    .option('--xclient', 'advertise and accept XCLIENT and XFORWARD (Postfix): attributes are shown; XCLIENT starts the session over with a new 220')
    .addHelpText('after', `
The server accepts any sender, any recipient and any AUTH credentials, stores each message
in --mbox FILE when given and never forwards anything.
AUTH: PLAIN, LOGIN, CRAM-MD5 and XOAUTH2 are offered; any user, password, digest or token is
accepted and the user is shown. --auth-users FILE (one user:password a line, # comments)
checks them instead: a wrong password or an unknown user gets 535 5.7.8, and XOAUTH2 takes
the password as the only valid token (a refused token gets the JSON 334, then 535).
SCRAM-SHA-256 is offered only with --auth-users, since its server must prove it knows the
password. Secrets are shown as <redacted> unless --show-secrets. A message streams to a
temporary file in $TMPDIR as it arrives (past 256 KiB) and is appended to the mbox when
complete: memory does not grow with the message.
A 250 after DATA means the whole message is in the mbox (written; with --fsync also synced
to the disk). When it cannot be written (disk full, quota, file-size limit, I/O error) the
client gets 452 4.3.1 (no space) or 451 4.3.0, the mbox is cut back to its last complete
entry, one *** line says why, and serving goes on.
Limits: command lines over 512 octets get 500 5.5.2 (RFC 5321 §4.5.3.1.4); messages over
--max-size get 552; --idle-timeout (silence), --line-timeout (a command line that takes too
long), --data-timeout/--data-min-rate (a message that arrives too slowly), --max-connections
and --max-errors end connections with 421. A client that does not read its replies is not
read either. After the server closes a connection the client has 2 s to close its side,
then the socket is dropped.
Each received line is shown with its terminator: ␍␊ for CRLF, a highlighted ␍ or ␊ when bare.
Output is written in batches; when it goes to a pipe that is read slowly, the server stops
reading its clients until the pipe takes more. --quiet leaves out the bytes (for load tests
and long runs).
Listeners: --listen may be given several times; each is plain text (STARTTLS offered) or,
with tls: or --tls, implicit TLS (what SMTPS clients such as curl smtps:// or swaks
--tls-on-connect expect). unix:PATH listens on a Unix-domain socket: a socket left there by a
server that is gone is replaced, any other file is refused, and the socket is removed at exit.
  smtpdbg serve --listen 2525 --listen tls:2465 --listen unix:/tmp/smtpdbg.sock
It runs until SIGINT (Ctrl-C) or SIGTERM, then closes connections with 421 and exits 0.
${SCENARIO_HELP}`)
    .action(async (options: ServeCliOptions, command: Command) => {
      const { findScenario } = await import('../server/scenarios/registry.js');
      if (!options.listScenarios) checkScenarioOptions(command, options.scenario === undefined ? undefined : findScenario(options.scenario), options.scenario);
      const { runServeCommand } = await import('./serve-run.js');
      setExitCode(await runServeCommand(options));
    });
}
