import { milliseconds } from './option-parsers.js';
import { hostname } from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { collect } from './action.js';
import { BodyTypes, checkEnvelopeRequest, type BodyType, type EnvelopeRequest } from '../smtp/envelope-params.js';
import { ClientMechanisms, parseClientMechanism, type ClientMechanism } from '../smtp/sasl/client.js';
import { parseProxyAttribute } from '../smtp/xclient.js';
import type { OpeningPlan } from '../session/opening.js';
import type { EmbeddedServer } from '../session/embedded.js';
import type { SessionSettings } from '../session/smtp-session.js';
import { TlsMode } from '../session/tls-mode.js';
import { parseTarget, type Target } from '../session/target.js';
import { tlsSettingsFromOptions, type TlsCliOptions } from '../tls/options.js';
import type { EventStream } from '../transcript/events.js';

/** Options every command that talks SMTP shares (session, inject): declared once, parsed once. */
export interface ConnectionCliOptions extends TlsCliOptions, Pick<EnvelopeRequest, 'bodyType' | 'smtputf8' | 'dsnRet' | 'dsnEnvid' | 'dsnNotify' | 'dsnOrcpt'> {
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
  /** A mechanism name, or true for `--auth` alone (the strongest offered). */
  auth?: string | boolean;
  user?: string;
  showSecrets?: boolean;
  transcript?: string;
  json?: boolean;
  // XCLIENT/XFORWARD and MAIL/RCPT parameters (addEnvelopeOptions; the DSN and BODY ones
  // are typed as EnvelopeRequest's).
  xclient?: string[];
  xforward?: string[];
  mailParam?: string[];
  rcptParam?: string[];
  requiretls?: boolean;
  forceParam?: boolean;
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
    .addOption(new Option('--auth [mechanism]', 'authenticate after EHLO: scram-sha-256, cram-md5, plain, login or xoauth2; alone: the strongest the server offers (said on screen)').argParser(parseAuthOption))
    .option('--user <name>', 'user name for --auth (password: SMTPDBG_PASSWORD or a hidden prompt; XOAUTH2 token: SMTPDBG_OAUTH_TOKEN)')
    .option('--show-secrets', 'do not redact AUTH payloads in transcripts and on screen')
    .option('--transcript <file>', 'record every byte: .jsonl gives JSON Lines, any other name text')
    .option('--json', 'print a machine-readable summary on stdout')
    .option('--lmtp', 'speak LMTP (RFC 2033): LHLO, and one reply per accepted recipient after the data (default port 24)')
    .option('--xclient <name=value>', 'after EHLO, XCLIENT with this attribute (Postfix: NAME, ADDR, PORT, PROTO, HELO, LOGIN …; repeatable), then EHLO again', collect)
    .option('--xforward <name=value>', 'after EHLO, XFORWARD with this attribute (Postfix: NAME, ADDR, PORT, PROTO, HELO, IDENT, SOURCE; repeatable)', collect)
    .option('--mail-param <param>', 'add KEYWORD[=value] to MAIL FROM (repeatable)', collect)
    .option('--rcpt-param <param>', 'add KEYWORD[=value] to every RCPT TO (repeatable)', collect)
    .addOption(new Option('--body-type <type>', `BODY= on MAIL FROM: ${BodyTypes.join(', ')} (RFC 6152; BINARYMIME goes with BDAT only, RFC 3030)`).argParser(parseBodyType))
    .option('--smtputf8', 'SMTPUTF8 on MAIL FROM (RFC 6531); needed for UTF-8 addresses')
    .addOption(new Option('--dsn-ret <what>', 'DSN RET= on MAIL FROM: FULL or HDRS (RFC 3461)').argParser(parseDsnRet))
    .option('--dsn-envid <id>', 'DSN ENVID= on MAIL FROM (xtext-encoded for you)')
    .option('--dsn-notify <when>', 'DSN NOTIFY= on every RCPT TO: NEVER, or SUCCESS,FAILURE,DELAY')
    .option('--dsn-orcpt <address>', 'DSN ORCPT=rfc822;ADDRESS on the RCPT TO of the --to in the same place (repeatable, one per --to)', collect)
    .option('--requiretls', 'REQUIRETLS on MAIL FROM (RFC 8689; servers offer it only over TLS)')
    .option('--force-param', 'send parameters (and UTF-8 addresses) even when the server did not advertise their extension');
}

function parseAuthOption(value: string): string {
  // `--auth TARGET` lands here too: the value is optional, so a target after it is taken for a mechanism.
  if (!parseClientMechanism(value)) throw new InvalidArgumentError(`use ${ClientMechanisms.map((m) => m.toLowerCase()).join(', ')}; or --auth alone, with the target before it`);
  return value;
}

function parseBodyType(value: string): BodyType {
  const upper = value.toUpperCase();
  const type = BodyTypes.find((t) => t === upper);
  if (!type) throw new InvalidArgumentError(`use ${BodyTypes.join(', ')}`);
  return type;
}

function parseDsnRet(value: string): 'FULL' | 'HDRS' {
  const upper = value.toUpperCase();
  if (upper !== 'FULL' && upper !== 'HDRS') throw new InvalidArgumentError('use FULL or HDRS (RFC 3461 §4.3)');
  return upper;
}

/** The envelope parameters and XCLIENT/XFORWARD attributes, checked before anything connects. */
export function envelopeFromOptions(options: ConnectionCliOptions, from: string, to: readonly string[]): Pick<OpeningPlan, 'envelope' | 'xclient' | 'xforward'> {
  const xclient = (options.xclient ?? []).map((text) => parseProxyAttribute(text, '--xclient'));
  const xforward = (options.xforward ?? []).map((text) => parseProxyAttribute(text, '--xforward'));
  const envelope: EnvelopeRequest = {
    mailParams: options.mailParam ?? [],
    rcptParams: options.rcptParam ?? [],
    ...(options.bodyType ? { bodyType: options.bodyType } : {}),
    ...(options.smtputf8 ? { smtputf8: true } : {}),
    ...(options.dsnRet ? { dsnRet: options.dsnRet } : {}),
    ...(options.dsnEnvid !== undefined ? { dsnEnvid: options.dsnEnvid } : {}),
    ...(options.dsnNotify !== undefined ? { dsnNotify: options.dsnNotify } : {}),
    ...(options.dsnOrcpt?.length ? { dsnOrcpt: options.dsnOrcpt } : {}),
    ...(options.requiretls ? { requireTls: true } : {}),
    force: options.forceParam ?? false,
  };
  checkEnvelopeRequest(envelope, from, to);
  return { envelope, ...(xclient.length ? { xclient } : {}), ...(xforward.length ? { xforward } : {}) };
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

export function authFromOptions(options: ConnectionCliOptions): { mechanism: ClientMechanism | 'auto'; user: string } | undefined {
  if (options.auth === undefined || options.auth === false) {
    if (options.user) throw new UsageError('--user needs --auth');
    return undefined;
  }
  const mechanism = options.auth === true ? 'auto' : parseClientMechanism(options.auth);
  if (!mechanism) throw new UsageError(`--auth ${options.auth}: use ${ClientMechanisms.map((m) => m.toLowerCase()).join(', ')}`);
  if (!options.user) throw new UsageError('--auth needs --user');
  return { mechanism, user: options.user };
}

/** The XOAUTH2 bearer token: from the environment only, never argv (`ps` and shell history keep argv). */
export const oauthToken = (env: NodeJS.ProcessEnv = process.env) => (): string | undefined => env.SMTPDBG_OAUTH_TOKEN || undefined;

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

/**
 * The --json fields for AUTH, XCLIENT/XFORWARD and the envelope parameters: what was asked
 * for, and the AUTH mechanism used (read from the commands sent, where `--auth` alone
 * shows its choice). Secrets never appear here: only names.
 */
export function extensionsJson(
  auth: ReturnType<typeof authFromOptions>,
  extensions: ReturnType<typeof envelopeFromOptions>,
  commands: readonly string[],
) {
  const used = commands.find((c) => /^AUTH\s/i.test(c))?.split(/\s+/)[1]?.toUpperCase() ?? null;
  const envelope = extensions.envelope;
  return {
    auth: auth ? { requested: auth.mechanism === 'auto' ? 'auto' : auth.mechanism, mechanism: used, user: auth.user } : null,
    xclient: extensions.xclient?.map((a) => ({ name: a.name, value: a.value })) ?? null,
    xforward: extensions.xforward?.map((a) => ({ name: a.name, value: a.value })) ?? null,
    envelopeParams: envelope
      ? {
        mail: envelope.mailParams,
        rcpt: envelope.rcptParams,
        bodyType: envelope.bodyType ?? null,
        smtputf8: envelope.smtputf8 ?? false,
        dsn: { ret: envelope.dsnRet ?? null, envid: envelope.dsnEnvid ?? null, notify: envelope.dsnNotify ?? null, orcpt: envelope.dsnOrcpt ?? null },
        requireTls: envelope.requireTls ?? false,
        forced: envelope.force,
      }
      : null,
  };
}
