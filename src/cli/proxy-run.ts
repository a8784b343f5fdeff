import { X509Certificate } from 'node:crypto';
import { spkiSha256, writeCertificateFile } from '../tls/fingerprint.js';
import { UsageError } from '../errors.js';
import { startProxy } from '../proxy/proxy-server.js';
import { UpstreamTls } from '../proxy/proxy-connection.js';
import { formatTarget, isLoopback, parseTarget } from '../session/target.js';
import { parsePins, readPemFile, tlsSettingsFromOptions, type TlsSettings } from '../tls/options.js';
import { EventStream } from '../transcript/events.js';
import { TranscriptRecorder } from '../transcript/recorder.js';
import { printEvents } from '../ui/line-printer.js';
import { waitForStopSignal } from './action.js';
import { parseTimeout } from './connection-options.js';
import { milliseconds } from './option-parsers.js';
import { ExitCode } from './exit-codes.js';
import type { ProxyCliOptions } from './proxy.js';
import { parseListenSpec } from './serve.js';

const parseIdleTimeout = milliseconds('--idle-timeout', 0);

function upstreamTlsMode(value: string | undefined, port: number): UpstreamTls {
  if (value === undefined) return port === 465 ? UpstreamTls.implicit : UpstreamTls.starttls;
  const mode = Object.values(UpstreamTls).find((m) => m === value);
  if (!mode) throw new UsageError(`--upstream-tls ${value}: use starttls, implicit or none`);
  return mode;
}

/**
 * What the proxy will check of the upstream certificate, said before any connection: nothing
 * is verified at start-up, each connection shows its own result.
 */
function upstreamCheck(mode: UpstreamTls, options: ProxyCliOptions, tls: TlsSettings): string {
  if (mode === UpstreamTls.none) return 'plain text, no certificate';
  if (options.insecureUpstream) return 'ANY certificate accepted (--insecure-upstream)';
  if (tls.pins) return `only a certificate with SHA-256 ${tls.pins.join(' or ')} (--upstream-pin-sha256), checked on each connection`;
  return `the certificate must verify for ${tls.verifyName} against ${options.ca ? `--ca ${options.ca}` : 'the system CAs'}, checked on each connection`;
}

export async function runProxyCommand(options: ProxyCliOptions): Promise<number> {
  const given = [
    ...(options.listen ?? []).map((text) => parseListenSpec(text, '--listen', false)),
    ...(options.listenTls ?? []).map((text) => parseListenSpec(text, '--listen-tls', true)),
  ];
  const listen = given.length > 0 ? given : [parseListenSpec('127.0.0.1:2526', '--listen', false)];
  const upstream = parseTarget(options.upstream, 25, { unix: true });
  const mode = upstreamTlsMode(options.upstreamTls, upstream.port);
  if (Boolean(options.cert) !== Boolean(options.key)) throw new UsageError('--cert and --key go together');
  if (options.ipv4 && options.ipv6) throw new UsageError('-4 and -6 exclude each other');
  if (options.insecureUpstream && mode === UpstreamTls.none) throw new UsageError('--insecure-upstream has no effect with --upstream-tls none');
  if (options.upstreamPinSha256 && mode === UpstreamTls.none) throw new UsageError('--upstream-pin-sha256 has no effect with --upstream-tls none');
  if (options.upstreamPinSha256 && options.insecureUpstream) throw new UsageError('--upstream-pin-sha256 and --insecure-upstream exclude each other');
  const timeoutMs = parseTimeout(options.timeout);
  const idleTimeoutMs = parseIdleTimeout(options.idleTimeout);
  // Upstream verification exactly as `session` builds it; --cert/--key are the proxy's own.
  const tls = tlsSettingsFromOptions(upstream.host, {
    ...(options.servername !== undefined ? { servername: options.servername } : {}),
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    ...(options.keylog !== undefined ? { keylog: options.keylog } : {}),
  });
  const pins = parsePins(options.upstreamPinSha256, '--upstream-pin-sha256');
  if (pins) tls.pins = pins;
  const own = options.cert && options.key ? { cert: readPemFile(options.cert, '--cert'), key: readPemFile(options.key, '--key') } : {};

  const events = new EventStream();
  const upstreamText = formatTarget(upstream);
  const transcript = options.transcript
    ? new TranscriptRecorder(options.transcript, { command: 'proxy', target: upstreamText, listen: [...(options.listen ?? []), ...(options.listenTls ?? []).map((l) => `tls:${l}`)].join(' ') || '127.0.0.1:2526', upstreamTls: mode }, events.startedAt)
    : undefined;
  let server;
  try {
    server = await startProxy({
      listen,
      upstreamHost: upstream.host,
      upstreamPort: upstream.port,
      ...(upstream.path !== undefined ? { upstreamPath: upstream.path } : {}),
      ...(options.ipv4 ? { family: 4 as const } : options.ipv6 ? { family: 6 as const } : {}),
      upstreamTls: mode,
      tls,
      insecureUpstream: options.insecureUpstream ?? false,
      timeoutMs,
      idleTimeoutMs,
      showSecrets: options.showSecrets ?? false,
      hostname: options.hostname,
      events,
      ...own,
    });
    if (options.certOut !== undefined) writeCertificateFile(options.certOut, server.certificate);
  } catch (error) {
    await server?.close();
    transcript?.close();
    throw error;
  }
  transcript?.attach(events);
  const stopPrinting = printEvents(events, process.stdout, { timestamps: options.timestamps ?? false });
  const listening = server.listeners.map((l) => `${l.text}${l.implicitTls ? ' (implicit TLS)' : ''}`).join(', ');
  const offered = new X509Certificate(server.certificate);
  const spki = spkiSha256(offered);
  const lines = [
    `=== proxy listening on ${listening}, relaying to ${upstreamText} (upstream TLS: ${mode}; ${upstreamCheck(mode, options, tls)})`,
    `=== certificate offered to applications: ${server.certificateGenerated ? 'generated, self-signed' : options.cert} (SHA-256 ${offered.fingerprint256}; SPKI SHA-256 ${spki.base64})${options.certOut !== undefined ? `, written to ${options.certOut}` : ''}`,
    ...(server.listeners.every((l) => l.address.kind === 'unix' || isLoopback(l.address.host)) ? [] : [`*** listening on a non-loopback address: anyone who can reach ${listening} can send mail through it to ${upstreamText}`]),
    ...(transcript ? [`=== recording to ${transcript.path}`] : []),
  ];
  // Ctrl-C is taken from here on, before the start-up line tells anyone that the proxy is up.
  const stopped = waitForStopSignal();
  process.stdout.write(`${lines.join('\n')}\n`);
  const signal = await stopped;
  await server.close();
  stopPrinting();
  transcript?.close();
  process.stdout.write(`=== ${signal}: proxy stopped after ${server.accepted} connection${server.accepted === 1 ? '' : 's'}\n`);
  return ExitCode.ok;
}
