import { milliseconds } from './option-parsers.js';
import { hostname } from 'node:os';
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { collect } from './action.js';
import { parseAuthMechanism, type AuthMechanism } from '../smtp/auth.js';
import type { EmbeddedServer } from '../session/embedded.js';
import type { SessionSettings } from '../session/smtp-session.js';
import { TlsMode } from '../session/tls-mode.js';
import { parseTarget, type Target } from '../session/target.js';
import { tlsSettingsFromOptions, type TlsCliOptions } from '../tls/options.js';
import type { EventStream } from '../transcript/events.js';

/** Options every command that talks SMTP shares (session, inject): declared once, parsed once. */
export interface ConnectionCliOptions extends TlsCliOptions {
  starttls?: boolean;
  requireTls?: boolean;
  tls?: boolean;
  plain?: boolean;
  insecure?: boolean;
  strictTls?: boolean;
  ehlo?: string;
  timeout: string;
  ipv4?: boolean;
  ipv6?: boolean;
  auth?: string;
  user?: string;
  showSecrets?: boolean;
  transcript?: string;
  json?: boolean;
  lmtp?: boolean;
}

export function addConnectionOptions(command: Command): Command {
  return command
    .option('--starttls', 'upgrade with STARTTLS when the server advertises it (the default)')
    .option('--require-tls', 'STARTTLS, and fail (exit 3) when the server does not offer it')
    .option('--tls', 'implicit TLS from the first byte (SMTPS; port 465 implies it)')
    .option('--plain', 'no TLS at all')
    .option('--servername <name>', 'SNI and the name to verify (default: the host, unless it is an IP address)')
    .option('--ca <file>', 'trust these CA certificates (PEM; a file without one is refused) instead of the system store')
    .option('--pin-sha256 <fingerprint>', "trust the server whose certificate has this SHA-256 fingerprint (AB:CD:…, colons optional; repeatable), and no other", collect)
    .option('--insecure', 'send credentials even when certificate verification failed')
    .option('--strict-tls', 'a failed certificate verification ends the session (exit 3)')
    .option('--cert <file>', 'client certificate (PEM)')
    .option('--key <file>', 'client private key (PEM)')
    .option('--tls-min <version>', 'lowest TLS version: 1.0, 1.1, 1.2, 1.3')
    .option('--tls-max <version>', 'highest TLS version (below 1.2 alone, also the lowest: --tls-max 1.1 offers TLS 1.1)')
    .option('--ciphers <list>', 'OpenSSL cipher list')
    .option('--keylog <file>', 'append NSS key-log lines for Wireshark (also: SSLKEYLOGFILE)')
    .option('--ehlo <name>', 'name to send in EHLO', hostname())
    .option('--timeout <ms>', 'bound on connecting, the TLS handshake and every reply', '30000')
    .option('-4, --ipv4', 'connect over IPv4 only')
    .option('-6, --ipv6', 'connect over IPv6 only')
    .addOption(new Option('--auth <mechanism>', 'authenticate after EHLO').choices(['plain', 'login', 'PLAIN', 'LOGIN']))
    .option('--user <name>', 'user name for --auth (password: SMTPDBG_PASSWORD or a hidden prompt)')
    .option('--show-secrets', 'do not redact AUTH payloads in transcripts and on screen')
    .option('--transcript <file>', 'record every byte: .jsonl gives JSON Lines, any other name text')
    .option('--json', 'print a machine-readable summary on stdout')
    .option('--lmtp', 'speak LMTP (RFC 2033): LHLO, and one reply per accepted recipient after the data (default port 24)');
}

/** RFC 2033 forbids LMTP on port 25; 24 is the port LMTP servers conventionally use. */
const defaultPort = (options: ConnectionCliOptions) => (options.lmtp ? 24 : 25);

export const parseTimeout = milliseconds('--timeout');

export function tlsModeFromOptions(options: ConnectionCliOptions, port: number): TlsMode {
  const chosen = [options.tls && '--tls', options.plain && '--plain', options.requireTls && '--require-tls', options.starttls && '--starttls'].filter(Boolean);
  if (chosen.length > 1 && !(chosen.length === 2 && options.starttls && options.requireTls)) {
    throw new UsageError(`${chosen.join(' and ')} exclude each other`);
  }
  if (options.tls) return TlsMode.implicit;
  if (options.plain) return TlsMode.plain;
  if (options.requireTls) return TlsMode.requireStarttls;
  if (options.starttls) return TlsMode.starttls;
  // RFC 8314 §3.3: 465 is submission over implicit TLS.
  return port === 465 ? TlsMode.implicit : TlsMode.starttls;
}

export function authFromOptions(options: ConnectionCliOptions): { mechanism: AuthMechanism; user: string } | undefined {
  if (!options.auth) {
    if (options.user) throw new UsageError('--user needs --auth plain|login');
    return undefined;
  }
  const mechanism = parseAuthMechanism(options.auth);
  if (!mechanism) throw new UsageError(`--auth ${options.auth}: use plain or login`);
  if (!options.user) throw new UsageError('--auth needs --user');
  return { mechanism, user: options.user };
}

export function sessionSettingsFromOptions(target: Target, options: ConnectionCliOptions, events: EventStream): SessionSettings {
  if (options.ipv4 && options.ipv6) throw new UsageError('-4 and -6 exclude each other');
  if (options.insecure && options.strictTls) throw new UsageError('--insecure and --strict-tls exclude each other');
  return {
    target,
    timeoutMs: parseTimeout(options.timeout),
    tlsMode: tlsModeFromOptions(options, target.port),
    tls: tlsSettingsFromOptions(target.host, options),
    strictTls: options.strictTls ?? false,
    insecure: options.insecure ?? false,
    ehloName: options.ehlo ?? hostname(),
    showSecrets: options.showSecrets ?? false,
    events,
    ...(options.lmtp ? { lmtp: true } : {}),
    ...(options.ipv4 ? { family: 4 as const } : options.ipv6 ? { family: 6 as const } : {}),
  };
}

export interface ResolvedConnection {
  settings: SessionSettings;
  /** The capture server started because no target was given; the caller closes it. */
  embedded: EmbeddedServer | undefined;
}

/**
 * The settings for `session` and `inject`, built once. With no target, the options are
 * checked against a loopback placeholder before the embedded capture server (and its
 * certificate generation) starts, so a usage error never leaves a server running; the
 * server's address then replaces the placeholder and its certificate is trusted unless
 * --ca names another.
 */
export async function resolveConnection(targetText: string | undefined, options: ConnectionCliOptions, events: EventStream): Promise<ResolvedConnection> {
  if (targetText) return { settings: sessionSettingsFromOptions(parseTarget(targetText, options.tls ? 465 : defaultPort(options), { unix: true }), options, events), embedded: undefined };
  if (options.tls) throw new UsageError('--tls needs a target: the embedded capture server offers STARTTLS, not implicit TLS');
  if (options.lmtp) throw new UsageError('--lmtp needs a target (host:port or unix:/path): the embedded capture server speaks SMTP');
  const settings = sessionSettingsFromOptions({ host: '127.0.0.1', port: 25 }, options, events);
  // Loaded only here: the capture server is not needed on the path to a real target.
  const { startEmbeddedServer } = await import('../session/embedded.js');
  const embedded = await startEmbeddedServer();
  settings.target = embedded.target;
  if (embedded.ca && !options.ca) settings.tls.ca = embedded.ca;
  return { settings, embedded };
}
