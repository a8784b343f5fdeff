import { createInterface } from 'node:readline';
import { SmtpdbgError, UsageError } from '../errors.js';
import { runOpening, type QuitAfter } from '../session/opening.js';
import { MisbehavingConnection, misbehaviourFromOptions, OpeningMisbehaviourStages, type Misbehaviour, type MisbehaviourLog } from '../session/misbehaviour.js';
import { TlsMode } from '../session/tls-mode.js';
import { parsePauses, pauseBeforeCommands } from '../inject/pause.js';
import { everyReplySucceeded, LineRunner, runScript } from '../session/script-runner.js';
import { SmtpSession, type SessionSettings } from '../session/smtp-session.js';
import { formatTarget, targetLabel } from '../session/target.js';
import type { EmbeddedServer } from '../session/embedded.js';
import { summarizeSession, watchClose } from '../session/summary.js';
import { EventStream } from '../transcript/events.js';
import { TranscriptRecorder } from '../transcript/recorder.js';
import { printEvents, printError } from '../ui/line-printer.js';
import { authFromOptions, envelopeFromOptions, extensionsJson, oauthToken, resolveConnection } from './connection-options.js';
import { ExitCode, exitCodeForError } from './exit-codes.js';
import { readPassword } from './password.js';
import type { SessionCliOptions } from './session.js';
import { TlsFacts } from './tls-facts.js';

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
  // --user alone names the user of a later :auth; with --auth, the opening's.
  const auth = authFromOptions(options.auth === undefined || options.auth === false ? { ...options, user: undefined } : options);
  checkQuitAfter(options, auth !== undefined, interactive);
  const misbehaviour = chooseMisbehaviour(options, interactive);
  const extensions = envelopeFromOptions(options, options.from, options.to ?? ['postmaster@localhost']);
  const { settings, embedded } = await resolveConnection(targetText, options, events);
  try {
    return await converse(settings, embedded, options, events, auth, interactive, extensions, misbehaviour);
  } finally {
    await embedded?.server.close();
  }
}

/** Options that cannot do what they say here (a --quit-after stage never reached) are mistakes, not shorter runs. */
function checkQuitAfter(options: SessionCliOptions, hasAuth: boolean, interactive: boolean): void {
  if (interactive && options.pause?.length) throw new UsageError('--pause is for scripted sessions (stdin not a terminal); interactively, type :sleep MS');
  if (options.quitAfter === 'auth' && !hasAuth) throw new UsageError('--quit-after auth needs --auth and --user');
  if (options.quitAfter === 'tls' && options.plain) throw new UsageError('--quit-after tls cannot stop after TLS with --plain (no TLS is started)');
}

/** Every connection's acts in one record (a stalled session's :reconnect stalls again). */
function misbehaviourJson(logs: readonly MisbehaviourLog[]) {
  if (!logs.length) return null;
  return { done: logs.flatMap((log) => log.done), carriedOut: logs[0]!.carriedOut, notReached: logs[0]!.notReached ?? null };
}

/** `--close-after`, `--stall-after`, `--tls-abort`: the opening's stages; after it the script decides what is sent. */
function chooseMisbehaviour(options: SessionCliOptions, interactive: boolean): Misbehaviour | undefined {
  const misbehaviour = misbehaviourFromOptions(options, OpeningMisbehaviourStages, ' (after the opening the script decides: :close, :sleep MS; inject takes the others)');
  if (!misbehaviour) return undefined;
  const flag = misbehaviour.closeAfter ? '--close-after' : misbehaviour.tlsAbort ? '--tls-abort' : '--stall-after';
  if (interactive) throw new UsageError(`${flag} is for scripted sessions (stdin not a terminal); interactively, type :close or :sleep MS`);
  if (options.quitAfter && flag !== '--stall-after') throw new UsageError(`${flag} ends the conversation on purpose, without QUIT: not with --quit-after`);
  return misbehaviour;
}

async function converse(
  settings: SessionSettings,
  embedded: EmbeddedServer | undefined,
  options: SessionCliOptions,
  events: EventStream,
  auth: ReturnType<typeof authFromOptions>,
  interactive: boolean,
  extensions: ReturnType<typeof envelopeFromOptions>,
  misbehaviour: Misbehaviour | undefined,
): Promise<number> {
  const target = settings.target;
  // --showcerts, --save-certs, --ocsp, --dane (TLSA is looked up before connecting).
  if (interactive && TlsFacts.wanted(options)) throw new UsageError('--showcerts, --save-certs, --ocsp and --dane are for scripted sessions (stdin not a terminal)');
  const tlsFacts = TlsFacts.wanted(options)
    ? await TlsFacts.prepare(options, settings, events, { json: options.json ?? false, embedded: embedded !== undefined, plain: options.plain ?? false, ...(options.quitAfter ? { quitAfter: options.quitAfter } : {}) })
    : undefined;
  const transcript = options.transcript
    ? new TranscriptRecorder(options.transcript, { command: 'session', target: targetLabel(target) }, events.startedAt).attach(events)
    : undefined;
  const lastClose = watchClose(events);
  const stopPrinting = options.json || interactive ? undefined : printEvents(events, process.stdout, { timestamps: options.timestamps ?? false });
  tlsFacts?.watch();
  if (embedded && !options.json && !interactive) {
    events.emit({ type: 'info', t: 0, tls: false, message: `no target given: talking to the embedded capture server on ${formatTarget(target)}` });
  }

  /** The connection in use (the last one after :reconnect), and every one of the run. */
  let session: SmtpSession | undefined;
  let sessions: SmtpSession[] = [];
  const pauses = parsePauses(options.pause ?? []);
  const misbehaviourLogs: MisbehaviourLog[] = [];
  let exitCode: number = ExitCode.ok;
  let error: SmtpdbgError | undefined;
  try {
    if (interactive) {
      // ink draws only its static output, never the status and input lines, when it believes
      // it runs in CI (a CI or CONTINUOUS_INTEGRATION variable, read when ink loads). Both
      // stdin and stdout are terminals here: a person is typing, whatever those variables say.
      for (const name of ['CI', 'CONTINUOUS_INTEGRATION']) if (name in process.env) process.env[name] = 'false';
      // The UI asks for passwords itself (a masked prompt inside ink), so none is passed here.
      const { runInteractiveSession } = await import('../ui/interactive/run.js');
      exitCode = await runInteractiveSession({
        settings,
        ...(auth ? { auth } : {}),
        ...(options.user ? { user: options.user } : {}),
        token: oauthToken(),
        ...(extensions.xclient ? { xclient: extensions.xclient } : {}),
        ...(extensions.xforward ? { xforward: extensions.xforward } : {}),
        embedded: embedded !== undefined,
        dotStuff: options.dotStuff,
        timestamps: options.timestamps ?? false,
      });
    } else {
      const plan = {
        ...(auth ? { auth: { ...auth, password: () => readPassword(auth.user), token: oauthToken() } } : {}),
        from: options.from,
        to: options.to ?? ['postmaster@localhost'],
        ...extensions,
      };
      // Every connection of the run (:reconnect opens more) waits where --pause says and
      // misbehaves where --stall-after says.
      const open = async () => {
        const misbehave = misbehaviour ? new MisbehavingConnection(misbehaviour) : undefined;
        if (misbehave) misbehaviourLogs.push(misbehave.log);
        const opened = await SmtpSession.connect(misbehave?.connectSettings(settings) ?? settings);
        session = opened;
        const pause = pauses.size ? pauseBeforeCommands(opened, pauses) : undefined;
        const over = (await misbehave?.attach(opened, settings.tlsMode === TlsMode.implicit)) ?? false;
        return { opened, pause, misbehave, over };
      };
      const first = await open();
      // None when it was over on connecting: --tls-abort or --close-after tls on an implicit-TLS port.
      const opening = first.over ? undefined : await runOpening(first.opened, { ...(options.quitAfter ? { quitAfter: options.quitAfter as QuitAfter } : {}), ...plan, ...first.misbehave?.openingStop });
      const closeOnPurpose = Boolean(misbehaviour?.closeAfter || misbehaviour?.tlsAbort);
      if (opening?.stopped && !opening.failedReply && first.misbehave && closeOnPurpose) await first.misbehave.afterOpening();
      else if (opening?.stopped) await first.opened.quit();
      else if (opening) {
        const runner = new LineRunner(first.opened, {
          pipeline: options.pipeline ?? false,
          password: (user) => readPassword(user),
          ...(options.user ? { user: options.user } : {}),
          token: oauthToken(),
          dotStuff: options.dotStuff,
          ...(first.pause ? { pause: first.pause } : {}),
          reconnect: async () => {
            const { opened } = await open();
            await runOpening(opened, plan);
            return opened;
          },
        });
        sessions = runner.sessions;
        await runScript(runner, stdinLines());
      }
      const acted = first.misbehave?.log;
      if (acted && (acted.carriedOut || acted.notReached)) {
        events.emit({ type: 'info', t: events.now(), tls: false, message: `${acted.done.at(-1)}; the script was not run` });
      }
      exitCode = (sessions.length ? sessions : [first.opened]).every(everyReplySucceeded) ? ExitCode.ok : ExitCode.problems;
      // A close on purpose ends without QUIT; a stage never reached (a refusal, no STARTTLS) is a problem found.
      if (first.misbehave?.log.notReached) exitCode = ExitCode.problems;
      const problems = tlsFacts?.problems() ?? [];
      for (const problem of problems) printError(process.stderr, problem);
      if (problems.length) exitCode = ExitCode.problems;
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
      target: targetLabel(target),
      embedded: embedded !== undefined,
      close: lastClose(),
      error: error ? { code: error.code, message: error.message } : null,
      exitCode,
      earlier: sessions.slice(0, -1),
    });
    const commands = (sessions.length ? sessions : session ? [session] : []).flatMap((s) => s.exchanges.map((e) => e.command));
    process.stdout.write(`${JSON.stringify({ ...summary, ...tlsFacts?.json(), ...extensionsJson(auth, extensions, commands), misbehaviour: misbehaviourJson(misbehaviourLogs) }, null, 2)}\n`);
  }
  // Thrown to the entry point, which reports it as every output's write failure is (exit 2).
  tlsFacts?.saveCertificates();
  return exitCode;
}
