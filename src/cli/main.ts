import { Command, CommanderError } from 'commander';
import { SmtpdbgError, systemErrorCode } from '../errors.js';
import { finishOpenOutputs, onOutputFailure, outputFailed, outputFailure, STANDARD_ERROR, STANDARD_OUTPUT, type OutputFailure } from '../io/output-failure.js';
import { stopForOutputFailure } from './action.js';
import { ExitCode, exitCodeForError, exitCodeHelp } from './exit-codes.js';
import { prepareColours } from '../ui/colors.js';
import { configureUsageErrors } from './action.js';
import { commandList, type CommandName } from './command-list.js';

const isCommandName = (name: string | undefined): name is CommandName => name !== undefined && Object.hasOwn(commandList, name);

/** The command named on the command line (also in `help NAME`), if any. */
function commandToDeclare(argv: readonly string[]): CommandName | undefined {
  const words = argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  return isCommandName(name) ? name : undefined;
}

const program = configureUsageErrors(
  new Command('smtpdbg')
    .description('SMTP debugging: sessions with STARTTLS, byte-exact injection, transcripts, mbox linting, a capture server')
    .version('0.1.0', '-V, --version')
    .addHelpText('after', `\n${exitCodeHelp}\n`),
  'smtpdbg',
);

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.ok;
    // `smtpdbg` alone: help is shown because a command is missing, which is a usage error.
    return error.code === 'commander.help' && error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (error instanceof SmtpdbgError) {
    process.stderr.write(`smtpdbg: ${error.message}\n`);
    return exitCodeForError[error.code];
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`smtpdbg: internal error (please report): ${detail}\n`);
  return ExitCode.failure;
}

// Every output has one write-error path (src/io/output-failure.ts). A failed write is
// recorded where it happens; here the run ends: a server (serve, proxy) is asked to stop as
// for a signal and the failure is reported when it has; any other command ends at once,
// after its open transcripts are finished. Transcripts are written synchronously, so
// whatever was recorded is already on disk. `smtpdbg … | head` closing the pipe early is
// the reader's choice: that ends the run quietly, with its own exit code.
for (const [stream, name] of [[process.stdout, STANDARD_OUTPUT], [process.stderr, STANDARD_ERROR]] as const) {
  stream.on('error', (error: NodeJS.ErrnoException) => outputFailed(name, error));
}
onOutputFailure((failure) => {
  if (stopForOutputFailure()) return;
  finishOpenOutputs();
  process.exit(reportOutputFailure(failure));
});

/** Prints the failure (nothing for a closed pipe) and gives the exit code the run ends with. */
function reportOutputFailure(failure: OutputFailure): number {
  if (!failure.error) return Number(process.exitCode ?? ExitCode.ok);
  if (failure.error.target !== STANDARD_ERROR) process.stderr.write(`smtpdbg: ${failure.error.message}\n`);
  return exitCodeForError[failure.error.code];
}

try {
  const name = commandToDeclare(process.argv);
  if (name) (await commandList[name].load())(program);
  else {
    // Top-level help, --version or an unknown name: the list is enough, nothing is loaded.
    for (const [listed, { args, summary }] of Object.entries(commandList)) {
      program.command(`${listed} ${args}`.trim()).description(summary);
    }
  }
  await prepareColours();
  await program.parseAsync(process.argv);
} catch (error) {
  // A worker thread that wrote to a closed pipe (`| head`) ends the run like the main thread does.
  if (systemErrorCode(error) === 'EPIPE') process.exit(process.exitCode ?? 0);
  process.exitCode = reportError(error);
}
const failure = outputFailure();
if (failure) process.exitCode = reportOutputFailure(failure);
