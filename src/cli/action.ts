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

/** Long-running commands waiting in waitForStopSignal, each with how to stop it. */
const stopWaiters = new Set<(reason: string) => void>();
/** A command was told to stop and is closing its connections. */
let stopping = false;

/**
 * Resolves with the name of the first SIGINT or SIGTERM, or with "output failure" when an
 * output of the run could not be written (output-failure.ts): how long-running commands
 * (serve, proxy) stop, closing their connections and files as they do for a signal.
 */
export function waitForStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (name: string) => {
      stopping = true;
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      stopWaiters.delete(stop);
      resolve(name);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    stopWaiters.add(stop);
  });
}

/**
 * Asks a running server to stop because an output failed; false when no command waits to
 * be stopped or is stopping already, and the run must then end at once.
 */
export function stopForOutputFailure(): boolean {
  if (stopWaiters.size === 0) return stopping;
  for (const stop of [...stopWaiters]) stop('output failure');
  return true;
}
