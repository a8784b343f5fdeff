import { isIP } from 'node:net';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { configureCommand, setExitCode } from './action.js';
import { ExitCode } from './exit-codes.js';

interface ServeCliOptions {
  listen: string;
  mbox?: string;
  cert?: string;
  key?: string;
  hostname: string;
  maxSize: number;
  idleTimeout: number;
  starttls: boolean;
  showSecrets?: boolean;
  json?: boolean;
}

/** `PORT`, `HOST:PORT` or `[V6]:PORT`; port 0 asks for an ephemeral port (tests). */
export function parseListenAddress(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]:|([^:[\]]*):)?(\d+)$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new UsageError(`--listen ${text}: expected PORT, HOST:PORT or [IPV6]:PORT (port 0-65535)`);
  const v6 = match[1];
  if (v6 !== undefined && isIP(v6) !== 6) throw new UsageError(`--listen ${text}: ${v6} is not an IPv6 address`);
  return { host: v6 ?? (match[2] || '127.0.0.1'), port };
}

function positiveInteger(option: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new UsageError(`${option} ${value}: expected a whole number`);
    return Number(value);
  };
}

export function registerServe(program: Command): void {
  configureCommand(program.command('serve'))
    .description('run a local SMTP capture server that shows every byte it receives and stores messages; it accepts any recipient and NEVER relays anything')
    .option('--listen <addr>', 'where to listen: PORT, HOST:PORT or [IPV6]:PORT (loopback unless you say otherwise)', '127.0.0.1:2525')
    .option('--mbox <file>', 'append every message, bytes as received after dot-unstuffing, to FILE in mboxrd format')
    .option('--cert <file>', 'certificate (PEM) for STARTTLS; default: a self-signed one generated at start')
    .option('--key <file>', 'private key (PEM) for --cert')
    .option('--hostname <name>', 'name in the banner, the EHLO reply and the generated certificate', 'localhost')
    .option('--max-size <octets>', 'message size limit advertised in SIZE; larger messages get 552', positiveInteger('--max-size'), 25 * 1024 * 1024)
    .option('--idle-timeout <ms>', 'close a silent connection with 421 4.4.2 after this long (0: never)', positiveInteger('--idle-timeout'), 300_000)
    .option('--no-starttls', 'do not offer STARTTLS')
    .option('--show-secrets', 'show AUTH payloads instead of redacting them')
    .option('--json', 'print one JSON object per event instead of text')
    .addHelpText('after', `
The server accepts any sender, any recipient and any AUTH PLAIN/LOGIN credentials, keeps
each message (in memory, and in --mbox FILE when given) and never forwards anything.
Each received line is shown with its terminator: ␍␊ for CRLF, a highlighted ␍ or ␊ when bare.
It runs until SIGINT (Ctrl-C) or SIGTERM, then closes connections with 421 and exits 0.`)
    .action(async (options: ServeCliOptions) => {
      const { host, port } = parseListenAddress(options.listen);
      if (Boolean(options.cert) !== Boolean(options.key)) throw new UsageError('--cert and --key go together');
      const [{ startCaptureServer }, { createServeReporter }, { readPemFile }, { isLoopback }, { X509Certificate }] = await Promise.all([
        import('../server/capture-server.js'),
        import('../ui/serve-report.js'),
        import('../tls/options.js'),
        import('../session/target.js'),
        import('node:crypto'),
      ]);
      const tlsFiles = options.cert && options.key
        ? { cert: readPemFile(options.cert, '--cert'), key: readPemFile(options.key, '--key') }
        : {};
      const server = await startCaptureServer({
        host,
        port,
        hostname: options.hostname,
        maxMessageSize: options.maxSize,
        idleTimeoutMs: options.idleTimeout,
        tls: options.starttls,
        showSecrets: options.showSecrets ?? false,
        ...(options.mbox !== undefined ? { mboxPath: options.mbox } : {}),
        ...tlsFiles,
      });
      const reporter = createServeReporter(server.events, process.stdout, { json: options.json ?? false });
      server.onMessage((message) => reporter.message(message));
      reporter.listening({
        host: server.host,
        port: server.port,
        hostname: server.hostname,
        mboxPath: options.mbox,
        certificate: server.certificate === undefined ? undefined : (options.cert ?? 'generated'),
        certificateFingerprint: server.certificate === undefined ? undefined : new X509Certificate(server.certificate).fingerprint256,
        maxMessageSize: options.maxSize,
        loopback: isLoopback(server.host),
      });
      const signal = await new Promise<string>((resolve) => {
        const stop = (name: string) => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve(name);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await server.close();
      reporter.stopped(signal);
      reporter.dispose();
      setExitCode(ExitCode.ok);
    });
}
