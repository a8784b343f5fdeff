import { Option, type Command } from 'commander';
import { commandList } from './command-list.js';
import { timestampsOption } from '../transcript/text-format.js';
import { collect, configureCommand, setExitCode } from './action.js';
import { LISTEN_SPELLING } from './serve.js';

export interface ProxyCliOptions {
  timestamps?: boolean;
  /** As given (repeatable); with neither this nor listenTls, the default address. */
  listen?: string[];
  listenTls?: string[];
  upstream: string;
  upstreamTls?: string;
  insecureUpstream?: boolean;
  upstreamPinSha256?: string[];
  ca?: string;
  servername?: string;
  cert?: string;
  key?: string;
  certOut?: string;
  hostname: string;
  transcript?: string;
  timeout: string;
  idleTimeout: string;
  keylog?: string;
  showSecrets?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
}

export function registerProxy(program: Command): void {
  configureCommand(program.command('proxy'))
    .description(commandList['proxy'].summary)
    .requiredOption('--upstream <host:port>', 'the one server to relay to (default port 25; 465 implies --upstream-tls implicit)')
    .option('--listen <addr>', `where applications connect (repeatable): ${LISTEN_SPELLING}; loopback unless you say otherwise (default: 127.0.0.1:2526)`, collect)
    .option('--listen-tls <addr>', 'where applications configured for SMTPS connect (repeatable): implicit TLS with the proxy\'s certificate, the same as --listen tls:ADDR', collect)
    .addOption(new Option('--upstream-tls <mode>', 'TLS towards the server: starttls (required), implicit, none (default: starttls; implicit for port 465)').choices(['starttls', 'implicit', 'none']))
    .option('--insecure-upstream', 'relay even when the upstream certificate fails verification (said on every connection)')
    .option('--upstream-pin-sha256 <fingerprint>', 'trust the upstream server whose certificate has this SHA-256 fingerprint (AB:CD:…, colons optional; repeatable), and no other', collect)
    .option('--ca <file>', 'trust these CA certificates (PEM) for the upstream server instead of the system store')
    .option('--servername <name>', 'SNI and the name to verify upstream (default: the upstream host, unless it is an IP address)')
    .option('--cert <file>', "the proxy's own certificate (PEM) offered to applications; default: a self-signed one generated at start")
    .option('--key <file>', 'private key (PEM) for --cert')
    .option('--cert-out <file>', "write the proxy's own certificate (PEM) to FILE, for applications to trust or pin")
    .option('--hostname <name>', "the name in the proxy's own replies and in the generated certificate", 'localhost')
    .option('--transcript <file>', 'record both legs: .jsonl gives JSON Lines (read it with `smtpdbg transcript`), any other name text')
    .option('--timeout <ms>', 'bound on connecting upstream, each TLS handshake, every upstream reply, and a server that reads none of the message relayed to it', '30000')
    .option('--idle-timeout <ms>', 'disconnect an application silent this long with 421 4.4.2 (0: never)', '300000')
    .option('--keylog <file>', 'append NSS key-log lines of both legs for Wireshark (also: SSLKEYLOGFILE)')
    .option('--show-secrets', 'do not redact AUTH payloads in the transcript and on screen')
    .option(...timestampsOption)
    .option('-4, --ipv4', 'connect upstream over IPv4 only')
    .option('-6, --ipv6', 'connect upstream over IPv6 only')
    .addHelpText('after', `
The application connects to the proxy; the proxy connects to --upstream. The EHLO reply the
application sees offers STARTTLS while its connection is plain (and not after, RFC 3207 §4.2);
the proxy answers STARTTLS itself with its own certificate, so the application must trust it
(or not verify). CHUNKING is withheld so that messages travel as DATA. Everything else is
relayed unchanged, and both legs are shown, decoded, with a connection id and the leg:
  [#1 client]    <-  what the application sent        ->  what it was sent
  [#1 upstream]  ->  what the proxy relayed upstream  <-  what the server answered
(~ instead of - inside TLS). An application configured for SMTPS (implicit TLS, port 465
style) connects to a --listen-tls address: the proxy does the handshake before relaying the
banner. unix:PATH listens on a Unix-domain socket (a stale socket is replaced, any other file
refused, the socket removed at exit). When the server closes, the proxy closes the application's
connection too and keeps recording what it still sends for a few seconds.
A peer that does not read is not buffered for: while the server reads none of a message, the
application's connection is paused, and while the application reads none of its replies, the
server's is. One DATA that the server answers with two accepted messages (it ended the first
at a bare-LF end of data inside the content) is flagged: *** 2 transactions accepted for one DATA.
It runs until SIGINT (Ctrl-C) or SIGTERM, then closes every connection with 421 and exits 0;
when an output cannot be written (standard output, --transcript, --keylog) it stops the same
way, says which and why, and exits 2.
Exit: 0 stopped by a signal, 2 usage error, unreadable file or an output that cannot be written,
3 cannot listen.`)
    .action(async (options: ProxyCliOptions) => {
      const { runProxyCommand } = await import('./proxy-run.js');
      setExitCode(await runProxyCommand(options));
    });
}
