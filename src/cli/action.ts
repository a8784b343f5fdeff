import type { Command } from 'commander';

/**
 * How commander's usage errors are shown: one line in the form of every other error, then
 * where the help is. The whole help (a hundred lines for inject) would scroll the error
 * itself out of sight.
 */
export function configureUsageErrors(command: Command, name: string): Command {
  return command
    .exitOverride()
    .showHelpAfterError(`(see ${name} --help)`)
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'smtpdbg: ')) });
}

/**
 * Every subcommand inherits exitOverride so that commander's usage errors reach main.ts and
 * become exit code 2, and reports them as the top-level program does.
 */
export function configureCommand(command: Command): Command {
  return configureUsageErrors(command, `smtpdbg ${command.name()}`);
}

/** Commander's parser for a repeatable option: each use appends its value. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Sets the process exit code from a command's result; only src/cli/ does this. */
export function setExitCode(code: number): void {
  process.exitCode = code;
}

/** Resolves with the name of the first SIGINT or SIGTERM: how long-running commands (serve, proxy) stop. */
export function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (name: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(name);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
