import { createInterface } from 'node:readline';
import { SmtpdbgError, UsageError } from '../errors.js';
import { runOpening, type QuitAfter } from '../session/opening.js';
import { everyReplySucceeded, runScript } from '../session/script-runner.js';
import { SmtpSession, type SessionSettings } from '../session/smtp-session.js';
import { formatTarget } from '../session/target.js';
import type { EmbeddedServer } from '../session/embedded.js';
import { summarizeSession, watchClose } from '../session/summary.js';
import { EventStream } from '../transcript/events.js';
import { TranscriptRecorder } from '../transcript/recorder.js';
import { printEvents, printError } from '../ui/line-printer.js';
import { authFromOptions, resolveConnection } from './connection-options.js';
import { ExitCode, exitCodeForError } from './exit-codes.js';
import { readPassword } from './password.js';
import type { SessionCliOptions } from './session.js';

async function* stdinLines(): AsyncGenerator<string> {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  try {
    for await (const line of rl) yield line;
  } finally {
    rl.close();
  }
}

export async function runSessionCommand(targetText: string | undefined, options: SessionCliOptions): Promise<number> {
  // Interactive only when a person is at both ends: `session | tee log` must not get ink frames.
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !options.json && !options.quitAfter;
  const events = new EventStream();
  const auth = authFromOptions(options);
  checkQuitAfter(options, auth !== undefined);
  const { settings, embedded } = await resolveConnection(targetText, options, events);
  try {
    return await converse(settings, embedded, options, events, auth, interactive);
  } finally {
    await embedded?.server.close();
  }
}

/** A --quit-after stage the options make unreachable is a mistake, not a shorter run. */
function checkQuitAfter(options: SessionCliOptions, hasAuth: boolean): void {
  if (options.quitAfter === 'auth' && !hasAuth) throw new UsageError('--quit-after auth needs --auth plain|login and --user');
  if (options.quitAfter === 'tls' && options.plain) throw new UsageError('--quit-after tls cannot stop after TLS with --plain (no TLS is started)');
}

async function converse(
  settings: SessionSettings,
  embedded: EmbeddedServer | undefined,
  options: SessionCliOptions,
  events: EventStream,
  auth: ReturnType<typeof authFromOptions>,
  interactive: boolean,
): Promise<number> {
  const target = settings.target;
  const transcript = options.transcript
    ? new TranscriptRecorder(options.transcript, { command: 'session', target: `${target.host}:${target.port}` }, events.startedAt).attach(events)
    : undefined;
  const lastClose = watchClose(events);
  const stopPrinting = options.json || interactive ? undefined : printEvents(events, process.stdout);
  if (embedded && !options.json && !interactive) {
    events.emit({ type: 'info', t: 0, tls: false, message: `no target given: talking to the embedded capture server on ${formatTarget(target)}` });
  }

  let session: SmtpSession | undefined;
  let exitCode: number = ExitCode.ok;
  let error: SmtpdbgError | undefined;
  try {
    if (interactive) {
      // The UI asks for passwords itself (a masked prompt inside ink), so none is passed here.
      const { runInteractiveSession } = await import('../ui/interactive/run.js');
      exitCode = await runInteractiveSession({
        settings,
        ...(auth ? { auth } : {}),
        embedded: embedded !== undefined,
      });
    } else {
      session = await SmtpSession.connect(settings);
      const opening = await runOpening(session, {
        ...(options.quitAfter ? { quitAfter: options.quitAfter as QuitAfter } : {}),
        ...(auth ? { auth: { ...auth, password: () => readPassword(auth.user) } } : {}),
        from: options.from,
        to: options.to ?? ['postmaster@localhost'],
      });
      if (opening.stopped) await session.quit();
      else {
        await runScript(session, stdinLines(), {
          pipeline: options.pipeline ?? false,
          password: (user) => readPassword(user),
        });
      }
      exitCode = everyReplySucceeded(session) ? ExitCode.ok : ExitCode.problems;
    }
  } catch (caught) {
    if (!(caught instanceof SmtpdbgError)) throw caught;
    error = caught;
    exitCode = exitCodeForError[caught.code];
    session?.close();
  } finally {
    stopPrinting?.();
    // A failure before any connection existed (refused, unresolvable, a TLS policy refusal)
    // produced no event of its own: the transcript still says how the run ended.
    if (error && !lastClose()) events.emit({ type: 'error', t: events.now(), tls: session?.client.tls ?? false, code: error.code, message: error.message });
    transcript?.close();
  }
  if (error) printError(process.stderr, error.message);
  if (options.json) {
    const summary = summarizeSession(session, {
      target: `${target.host}:${target.port}`,
      embedded: embedded !== undefined,
      close: lastClose(),
      error: error ? { code: error.code, message: error.message } : null,
      exitCode,
    });
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  }
  return exitCode;
}
