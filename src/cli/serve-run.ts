import { UsageError } from '../errors.js';
import { waitForStopSignal } from './action.js';
import { ExitCode } from './exit-codes.js';
import { parseListenSpec, type ServeCliOptions } from './serve.js';

/**
 * `smtpdbg serve`: starts the capture server with the options given, reports until SIGINT or
 * SIGTERM (or an output that cannot be written), closes every connection with 421, and
 * returns the exit code. The options were declared and their scenario checked in serve.ts.
 */
export async function runServeCommand(options: ServeCliOptions): Promise<number> {
  const { builtInScenarios, resolveScenario } = await import('../server/scenarios/registry.js');
  if (options.listScenarios) {
    const { formatScenarioList } = await import('../ui/serve-report.js');
    process.stdout.write(formatScenarioList(builtInScenarios));
    return ExitCode.ok;
  }
  const listen = (options.listen ?? ['127.0.0.1:2525']).map((text) => parseListenSpec(text, '--listen', options.tls ?? false));
  const anyTls = options.starttls || listen.some((l) => l.implicitTls);
  if (Boolean(options.cert) !== Boolean(options.key)) throw new UsageError('--cert and --key go together');
  if (options.fsync && options.mbox === undefined) throw new UsageError('--fsync applies to --mbox FILE, which is not given');
  if (options.certOut !== undefined && !anyTls) throw new UsageError('--cert-out has no certificate to write with --no-starttls');
  if (options.requestClientCert && !anyTls) throw new UsageError('--request-client-cert needs TLS: STARTTLS (the default) or an implicit-TLS listener');
  const authUsers = options.authUsers === undefined ? undefined : (await import('../server/auth-users.js')).readAuthUsers(options.authUsers);
  const scenario = options.scenario === undefined
    ? undefined
    : resolveScenario(options.scenario, { idleMs: options.idle, greylistDelayMs: options.greylistDelay, delayMs: options.delay });
  const [{ startCaptureServer }, { createServeReporter }, { readPemFile }, { isLoopback }, { X509Certificate }] = await Promise.all([
    import('../server/capture-server.js'),
    import('../ui/serve-report.js'),
    import('../tls/options.js'),
    import('../session/target.js'),
    import('node:crypto'),
  ]);
  // Under a file-size limit (ulimit -f) the kernel signals SIGXFSZ, whose default is to kill
  // the process; ignored, the write fails with EFBIG, which the server answers with 452 and
  // a roll-back of the mbox.
  process.on('SIGXFSZ', () => undefined);
  const tlsFiles = options.cert && options.key
    ? { cert: readPemFile(options.cert, '--cert'), key: readPemFile(options.key, '--key') }
    : {};
  const server = await startCaptureServer({
    listen,
    requestClientCert: options.requestClientCert ?? false,
    hostname: options.hostname,
    maxMessageSize: options.maxSize,
    idleTimeoutMs: scenario?.idleTimeoutMs ?? options.idleTimeout,
    lineTimeoutMs: options.lineTimeout,
    dataTimeoutMs: options.dataTimeout,
    dataMinRate: options.dataMinRate,
    maxConnections: options.maxConnections,
    maxErrors: options.maxErrors,
    // A long run must not hold every message: they go to --mbox and the reporter only.
    keepMessages: false,
    byteEvents: !options.quiet,
    ...(options.lint ? { lint: (await import('../mbox/index.js')).lintMessage } : {}),
    ...(scenario ? { behaviour: scenario.behaviour } : {}),
    tls: options.starttls,
    ...(options.lmtp || scenario?.lmtp ? { lmtp: true } : {}),
    ...(options.xclient ? { xclient: true } : {}),
    showSecrets: options.showSecrets ?? false,
    ...(authUsers ? { authUsers } : {}),
    ...(options.mbox !== undefined ? { mboxPath: options.mbox, fsync: options.fsync ?? false } : {}),
    ...tlsFiles,
  });
  if (options.certOut !== undefined && server.certificate !== undefined) {
    const { writeCertificateFile } = await import('../tls/fingerprint.js');
    try {
      writeCertificateFile(options.certOut, server.certificate);
    } catch (error) {
      await server.close();
      throw error;
    }
  }
  const reporter = createServeReporter(server.events, process.stdout, {
    json: options.json ?? false,
    quiet: options.quiet ?? false,
    congested: (congested) => server.holdInput(congested),
    timestamps: options.timestamps ?? false,
  });
  server.onMessage((message) => reporter.message(message));
  // Ctrl-C is taken from here on, before the start-up line tells anyone that the server is up.
  const stopped = waitForStopSignal();
  reporter.listening({
    listeners: server.listeners,
    hostname: server.hostname,
    mboxPath: options.mbox,
    certificate: server.certificate === undefined ? undefined : (options.cert ?? 'generated'),
    starttls: options.starttls,
    requestClientCert: options.requestClientCert ?? false,
    certificateFingerprint: server.certificate === undefined ? undefined : new X509Certificate(server.certificate).fingerprint256,
    maxMessageSize: options.maxSize,
    maxConnections: options.maxConnections,
    idleTimeoutMs: scenario?.idleTimeoutMs ?? options.idleTimeout,
    lineTimeoutMs: options.lineTimeout,
    dataTimeoutMs: options.dataTimeout,
    dataMinRate: options.dataMinRate,
    scenario: scenario?.behaviour.name,
    loopback: server.listeners.every((l) => l.address.kind === 'unix' || isLoopback(l.address.host)),
    ...(authUsers ? { authUsers: authUsers.file } : {}),
  });
  const signal = await stopped;
  await server.close();
  reporter.stopped(signal);
  reporter.dispose();
  return ExitCode.ok;
}
