import { Command, CommanderError } from 'commander';
import { SmtpdbgError } from '../errors.js';
import { ExitCode, exitCodeForError, exitCodeHelp } from './exit-codes.js';
import { registerSession } from './session.js';
import { registerInject } from './inject.js';
import { registerServe } from './serve.js';
import { registerProxy } from './proxy.js';
import { registerTranscript } from './transcript.js';
import { registerLintMbox } from './lint-mbox.js';

// Command modules only declare options here; each action imports its implementation
// lazily so that `--help` and `--version` never load tls, ink or react.
const program = new Command('smtpdbg')
  .description('SMTP debugging: sessions with STARTTLS, byte-exact injection, transcripts, mbox linting, a capture server')
  .version('0.1.0', '-V, --version')
  .showHelpAfterError()
  .addHelpText('after', `\n${exitCodeHelp}\n`)
  .exitOverride();

registerSession(program);
registerInject(program);
registerServe(program);
registerProxy(program);
registerTranscript(program);
registerLintMbox(program);

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
      return ExitCode.ok;
    }
    return ExitCode.usage;
  }
  if (error instanceof SmtpdbgError) {
    process.stderr.write(`smtpdbg: ${error.message}\n`);
    return exitCodeForError[error.code];
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`smtpdbg: internal error (please report): ${detail}\n`);
  return ExitCode.failure;
}

try {
  const { prepareColours } = await import('../ui/colors.js');
  await prepareColours();
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportError(error);
}
