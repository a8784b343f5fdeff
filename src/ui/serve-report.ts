import type { ChalkInstance } from 'chalk';
import type { MessageSummary } from '../server/capture-server.js';
import type { BuiltInScenario } from '../server/scenarios/scenario.js';
import type { EventStream, SessionEvent } from '../transcript/events.js';
import { Markers, TextTranscriptFormatter, type TextLine } from '../transcript/text-format.js';
import { chalkFor, colourLine } from './colors.js';

/**
 * What `smtpdbg serve` prints: every line a client sends with its terminator made visible
 * (the text transcript's markers, from the server's side: `<-` is what arrived, `->` what we
 * answered), or one JSON object per line with `--json`. The capture server only emits
 * events; this is the one place that turns them into text.
 */

export interface ServeStartInfo {
  host: string;
  port: number;
  hostname: string;
  mboxPath: string | undefined;
  /** "generated" or the --cert path; undefined when STARTTLS is off. */
  certificate: string | undefined;
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
      listening: (info) => writeJson({ type: 'listening', ...info }),
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

  // Connection, TLS and close lines are worded for the server's side; the rest is the
  // shared transcript formatting.
  const unsubscribe = events.subscribe((event) => {
    if (options.quiet && isBytes(event)) return;
    switch (event.type) {
      case 'connect':
        print(formatter.flushAll());
        info(`connection from ${event.host}:${event.port}`, event.conn);
        break;
      case 'tls': {
        print(formatter.flushAll());
        const { protocol, cipher, servername } = event.summary;
        info(`TLS started: ${protocol ?? 'unknown protocol'}, ${cipher ?? 'unknown cipher'}, ${servername ? `SNI ${servername}` : 'no SNI'}; the client must EHLO again`, event.conn);
        break;
      }
      case 'close': {
        print(formatter.flushAll());
        const by = event.by === 'peer' ? 'by the client' : event.by === 'local' ? 'by the server' : 'on error';
        info(`connection closed (${by}): ${event.reason}`, event.conn);
        break;
      }
      default:
        print(formatter.format(event));
    }
  });
  return {
    listening(start) {
      info(`smtpdbg serve listening on ${start.host.includes(':') ? `[${start.host}]` : start.host}:${start.port} as ${start.hostname}`);
      info(`accepts any recipient and any credentials; NEVER relays: nothing is forwarded anywhere`);
      if (!start.loopback) info(`warning: ${start.host} is not a loopback address; other machines can connect`);
      info(start.certificate === undefined
        ? 'STARTTLS not offered'
        : `STARTTLS with ${start.certificate === 'generated' ? 'a self-signed certificate generated at start' : start.certificate}${start.certificateFingerprint ? ` (SHA-256 ${start.certificateFingerprint})` : ''}`);
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
