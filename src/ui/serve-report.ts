import type { ChalkInstance } from 'chalk';
import type { BoundListener } from '../inbound/engine.js';
import type { MessageSummary } from '../server/capture-server.js';
import type { BuiltInScenario } from '../server/scenarios/scenario.js';
import type { EventStream, SessionEvent } from '../transcript/events.js';
import type { TlsSummary } from '../tls/summary.js';
import { Markers, TextTranscriptFormatter, type TextLine } from '../transcript/text-format.js';
import { chalkFor, colourLine } from './colors.js';

/**
 * What `smtpdbg serve` prints: every line a client sends with its terminator made visible
 * (the text transcript's markers, from the server's side: `<-` is what arrived, `->` what we
 * answered), or one JSON object per line with `--json`. The capture server only emits
 * events; this is the one place that turns them into text.
 */

export interface ServeStartInfo {
  listeners: readonly BoundListener[];
  hostname: string;
  mboxPath: string | undefined;
  /** "generated" or the --cert path; undefined when no TLS is offered (neither STARTTLS nor an implicit-TLS listener). */
  certificate: string | undefined;
  starttls: boolean;
  requestClientCert: boolean;
  certificateFingerprint: string | undefined;
  maxMessageSize: number;
  maxConnections: number;
  /** The deadlines, in ms (0: none); dataMinRate in octets per second. */
  idleTimeoutMs: number;
  lineTimeoutMs: number;
  dataTimeoutMs: number;
  dataMinRate: number;
  /** The scenario's name (a built-in one, or the scenario file's). */
  scenario: string | undefined;
  loopback: boolean;
  /** --auth-users FILE: AUTH is checked against its accounts instead of accepting anything. */
  authUsers?: string;
}

export interface ServeReporter {
  listening(info: ServeStartInfo): void;
  message(message: MessageSummary): void;
  stopped(signal: string): void;
  dispose(): void;
}

function jsonOf(event: SessionEvent): Record<string, unknown> {
  // latin1 keeps every byte as one code point, as in JSONL transcripts.
  return 'data' in event ? { ...event, data: event.data.toString('latin1') } : { ...event };
}

/** `serve --list-scenarios`: name, what a client sees, what it imitates, the options it reads. */
export function formatScenarioList(scenarios: readonly BuiltInScenario[]): string {
  const width = Math.max(...scenarios.map((s) => s.name.length)) + 2;
  const indent = ' '.repeat(width);
  return scenarios.map((s) => [
    `${s.name.padEnd(width)}${s.summary}`,
    `${indent}imitates: ${s.imitates}`,
    ...(s.options.length > 0 ? [`${indent}options: ${s.options.join(', ')}`] : []),
  ].join('\n')).join('\n') + '\n';
}

/** `127.0.0.1:2525, 127.0.0.1:2465 (implicit TLS), unix:/tmp/s.sock`. */
function describeListeners(listeners: readonly BoundListener[]): string {
  return listeners.map((l) => `${l.text}${l.implicitTls ? ' (implicit TLS)' : ''}`).join(', ');
}

/**
 * Where a connection came in, as the connect event tells it: the Unix socket's address, or
 * the local TCP port (ports are unique among the TCP listeners).
 */
function endpointOf(event: { localAddress?: string | undefined; localPort?: number | undefined }): string {
  return event.localAddress?.startsWith('unix:') ? event.localAddress : `tcp:${event.localPort ?? ''}`;
}

function endpointOfListener(listener: BoundListener): string {
  return listener.address.kind === 'unix' ? listener.text : `tcp:${listener.address.port}`;
}

/** A client's certificate, asked for with --request-client-cert, in the words used for servers'. */
function clientCertificateLines(summary: TlsSummary): string[] {
  const lines: string[] = [];
  summary.chain.forEach((cert, i) => {
    const label = i === 0 ? 'client certificate' : `  issued by [${i}]`;
    const indent = ' '.repeat(label.length + 2);
    lines.push(`${label}: subject ${cert.subject || '(empty)'}; issuer ${cert.issuer || '(empty)'}${cert.selfSigned ? ' (self-signed)' : ''}`);
    lines.push(`${indent}valid ${cert.validFrom} to ${cert.validTo}${cert.subjectAltNames.length ? `; SAN ${cert.subjectAltNames.join(', ')}` : ''}`);
    lines.push(`${indent}SHA-256 ${cert.fingerprint256}`);
    if (cert.spkiSha256) lines.push(`${indent}SPKI SHA-256 ${cert.spkiSha256.base64}`);
  });
  if (summary.verifyError) lines.push(summary.verifyError);
  return lines;
}

function describeTimeouts(start: ServeStartInfo): string {
  const ms = (value: number) => (value > 0 ? `${value} ms` : 'none');
  const data = start.dataTimeoutMs <= 0 ? 'none' : start.dataMinRate > 0 ? `at most ${start.dataTimeoutMs} ms behind ${start.dataMinRate} octets/s` : `${start.dataTimeoutMs} ms`;
  return `idle ${ms(start.idleTimeoutMs)}, a command line ${ms(start.lineTimeoutMs)}, DATA ${data}`;
}

/**
 * With `quiet`, the bytes of commands, replies and DATA lines are not shown (the capture
 * server is then told not to emit DATA lines at all); connections, messages, TLS, errors
 * and the server's notes still are.
 */
const isBytes = (event: SessionEvent) => event.type === 'send' || event.type === 'recv';

/** Output waiting to be taken by the stream beyond which the server stops reading its clients… */
const OUTPUT_BACKLOG = 4 << 20;
/** …until no more than this is left. */
const OUTPUT_RELEASE = 1 << 20;

export interface ServeReporterOptions {
  json: boolean;
  quiet: boolean;
  /**
   * Told when the stream stops taking output as fast as it comes (true: a pipe whose reader is
   * slow) and when it has caught up (false), so that the server can stop reading its clients
   * meanwhile instead of piling their bytes up here.
   */
  congested?: (congested: boolean) => void;
  /** Each line starts with the time since the server started (--timestamps). */
  timestamps?: boolean;
}

export function createServeReporter(events: EventStream, stream: NodeJS.WriteStream, options: ServeReporterOptions): ServeReporter {
  // Output is batched per turn of the event loop: under load one write per line would cost
  // more than serving the mail. `dispose` (and `stopped`) flush what is left.
  let pending = '';
  let scheduled = false;
  let congested = false;
  const flush = () => {
    scheduled = false;
    if (pending === '') return;
    stream.write(pending);
    pending = '';
    // Not at the stream's own high-water mark (16 KiB, reached in every burst), but at a
    // backlog that shows the reader is really behind; and released before the backlog is
    // gone, so that the reader always has something to take (waiting for 'drain' let the
    // pipe run dry at every release: 17% slower with every line printed).
    if (stream.writableLength >= OUTPUT_BACKLOG && !congested && options.congested) {
      congested = true;
      options.congested(true);
      const check = () => {
        if (stream.writableLength > OUTPUT_RELEASE && !stream.destroyed) {
          setTimeout(check, 5);
          return;
        }
        congested = false;
        options.congested?.(false);
      };
      setTimeout(check, 5);
    }
  };
  const out = (text: string) => {
    pending += text;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  const writeJson = (value: Record<string, unknown>) => out(`${JSON.stringify(value)}\n`);
  if (options.json) {
    const unsubscribe = events.subscribe((event) => {
      if (!(options.quiet && isBytes(event))) writeJson(jsonOf(event));
    });
    return {
      listening: ({ listeners, ...info }) => {
        // host and port: the first listener's, as before there were several.
        const first = listeners[0]?.address;
        writeJson({
          type: 'listening',
          host: first?.kind === 'tcp' ? first.host : listeners[0]?.text,
          port: first?.kind === 'tcp' ? first.port : 0,
          listeners: listeners.map((l) => ({ address: l.text, implicitTls: l.implicitTls })),
          ...info,
        });
      },
      message: (m) =>
        writeJson({
          type: 'message', conn: m.conn, id: m.id, from: m.from, to: m.to, size: m.size, tls: m.tls,
          helo: m.helo ?? null, authenticatedAs: m.authenticatedAs ?? null, receivedAt: m.receivedAt.toISOString(),
          bareCrLines: m.bareCrLines, bareLfLines: m.bareLfLines, longLines: m.longLines,
          transfer: m.transfer, ...(m.chunks ? { chunks: m.chunks } : {}),
          ...(m.xclient ? { xclient: m.xclient } : {}), ...(m.xforward ? { xforward: m.xforward } : {}),
        }),
      stopped: (signal) => {
        writeJson({ type: 'stopped', signal });
        flush();
      },
      dispose: () => {
        unsubscribe();
        flush();
      },
    };
  }

  const chalk: ChalkInstance = chalkFor(stream);
  const formatter = new TextTranscriptFormatter({ timestamps: options.timestamps ?? false });
  const print = (lines: TextLine[]) => {
    for (const line of lines) out(`${colourLine(chalk, line)}\n`);
  };
  const info = (text: string, conn?: number) =>
    print([{ kind: 'info', marker: Markers.info, prefix: conn === undefined ? '' : `[#${conn}] `, segments: [{ kind: 'text', text }] }]);

  // Endpoints of the implicit-TLS listeners, and the connections that came in on them.
  const implicitEndpoints = new Set<string>();
  const implicitConns = new Set<number>();
  // Connection, TLS and close lines are worded for the server's side; the rest is the
  // shared transcript formatting.
  const unsubscribe = events.subscribe((event) => {
    if (options.quiet && isBytes(event)) return;
    switch (event.type) {
      case 'connect':
        print(formatter.flushAll());
        if (event.conn !== undefined && implicitEndpoints.has(endpointOf(event))) implicitConns.add(event.conn);
        info(event.host.startsWith('unix:') ? `connection on ${event.host}` : `connection from ${event.host}:${event.port}`, event.conn);
        break;
      case 'tls': {
        print(formatter.flushAll());
        const { protocol, cipher, servername } = event.summary;
        const implicit = event.conn !== undefined && implicitConns.has(event.conn);
        // RFC 3207 §4.2: after STARTTLS the client starts over; on an implicit-TLS listener
        // the banner comes next, inside TLS.
        info(`TLS started: ${protocol ?? 'unknown protocol'}, ${cipher ?? 'unknown cipher'}, ${servername ? `SNI ${servername}` : 'no SNI'}; ${implicit ? 'implicit TLS, the banner follows' : 'the client must EHLO again'}`, event.conn);
        for (const line of clientCertificateLines(event.summary)) info(line, event.conn);
        break;
      }
      case 'close':
        if (event.conn !== undefined) implicitConns.delete(event.conn);
        print(formatter.flushAll());
        info(`connection closed (${event.by === 'peer' ? 'by the client' : event.by === 'local' ? 'by the server' : 'on error'}): ${event.reason}`, event.conn);
        break;
      default:
        print(formatter.format(event));
    }
  });
  return {
    listening(start) {
      for (const listener of start.listeners) if (listener.implicitTls) implicitEndpoints.add(endpointOfListener(listener));
      info(`smtpdbg serve listening on ${describeListeners(start.listeners)} as ${start.hostname}`);
      const credentials = start.authUsers === undefined ? 'any credentials' : `the credentials in ${start.authUsers} (SCRAM-SHA-256 offered)`;
      info(`accepts any recipient and ${credentials}; NEVER relays: nothing is forwarded anywhere`);
      if (!start.loopback) info(`warning: not only loopback addresses (${describeListeners(start.listeners)}); other machines can connect`);
      const certificate = start.certificate === undefined
        ? undefined
        : `${start.certificate === 'generated' ? 'a self-signed certificate generated at start' : start.certificate}${start.certificateFingerprint ? ` (SHA-256 ${start.certificateFingerprint})` : ''}`;
      info(certificate !== undefined && start.starttls ? `STARTTLS with ${certificate}` : 'STARTTLS not offered');
      const implicit = start.listeners.filter((l) => l.implicitTls).map((l) => l.text);
      if (certificate !== undefined && implicit.length > 0) info(`implicit TLS on ${implicit.join(', ')} with ${start.starttls ? 'the same certificate' : certificate}`);
      if (start.requestClientCert) info('client certificates are requested: each one sent is described; any is accepted, none is verified');
      if (start.scenario !== undefined) info(`scenario ${start.scenario}: misbehaving on purpose`);
      info(`SIZE limit ${start.maxMessageSize} octets; at most ${start.maxConnections || 'unlimited'} connections; messages ${start.mboxPath ? `appended to ${start.mboxPath} (mboxrd)` : 'shown, not stored (use --mbox FILE to store them)'}`);
      info(`timeouts: ${describeTimeouts(start)}`);
      info('stop with Ctrl-C');
    },
    // The capture server's own info event already says "message ID: N octets from … to …".
    message: () => undefined,
    stopped(signal) {
      print(formatter.flushAll());
      info(`${signal}: stopped`);
      flush();
    },
    dispose: () => {
      unsubscribe();
      flush();
    },
  };
}
