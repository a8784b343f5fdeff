import { Command, CommanderError } from 'commander';
import { SmtpdbgError, systemErrorCode } from '../errors.js';
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

// `smtpdbg … | head` closes the pipe early: that is the reader's choice, not an error to
// report with a stack trace. Whatever was recorded (transcripts are written synchronously)
// is already on disk.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
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
