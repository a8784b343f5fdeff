import { fstatSync, readlinkSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { chalkFor, wantsColour } from '../ui/colors.js';
import { ExitCode } from './exit-codes.js';
import type { LintMboxCliOptions } from './lint-mbox.js';

/**
 * The files to lint: standard input when none is named, unless it is a terminal. A user who
 * types `smtpdbg lint-mbox` alone has most likely forgotten the file, and would otherwise
 * wait on a silent prompt; `-` still reads the terminal, with a hint on how to end.
 */
function inputs(files: string[]): string[] {
  const stdinIsTerminal = Boolean(process.stdin.isTTY);
  if (files.length === 0) {
    if (stdinIsTerminal) throw new UsageError('lint-mbox: no mbox file named, and standard input is a terminal (name a file, pipe one in, or give - to type one)');
    return ['-'];
  }
  if (stdinIsTerminal && files.includes('-')) process.stderr.write('smtpdbg: lint-mbox reads an mbox from the terminal (standard input); end it with Ctrl-D\n');
  return files;
}

/** Standard output as lint-mbox writes it: every write synchronous and checked (see output-writes.ts). */
interface StandardOutput {
  write(bytes: Uint8Array): void;
  /** Set when worker threads may write to it too: a file, pipe or terminal, on Linux. */
  fd: number | undefined;
  name: string;
}

/** What standard output is, for error messages: its path (`/dev/full`, a file) or "standard output" (a pipe, a socket). */
function outputName(): string {
  try {
    const target = readlinkSync('/proc/self/fd/1');
    return target.startsWith('/') ? target : 'standard output';
  } catch {
    return 'standard output';
  }
}

function standardOutput(writeAll: (fd: number, bytes: Uint8Array, name: string) => void): StandardOutput {
  const name = outputName();
  if (process.platform !== 'linux') {
    return { write: (bytes) => void process.stdout.write(bytes), fd: undefined, name };
  }
  let shared = false;
  try {
    const stats = fstatSync(1);
    shared = stats.isFile() || stats.isFIFO() || stats.isCharacterDevice();
  } catch {
    shared = false;
  }
  return { write: (bytes) => writeAll(1, bytes, name), fd: shared ? 1 : undefined, name };
}

/** The command itself; its modules load only when it runs, so start-up stays fast. */
/** `smtpdbg lint-mbox`: lints the files (or standard input) and returns the exit code. */
export async function runLintMbox(files: string[], options: LintMboxCliOptions): Promise<number> {
  const [{ lintFiles }, { ruleCatalog }, report, { writeAll }] = await Promise.all([
    import('../lint/lint-files.js'),
    import('../mbox/rules/catalog.js'),
    import('../ui/lint-report.js'),
    import('../lint/output-writes.js'),
  ]);
  const out = standardOutput(writeAll);
  const print = (text: string): void => out.write(Buffer.from(text));
  if (options.listRules) {
    if (options.format === 'text') print(`${report.ruleListText(ruleCatalog)}\n`);
    else print(`${JSON.stringify(ruleCatalog, null, options.format === 'json' ? 2 : undefined)}\n`);
    return ExitCode.ok;
  }
  const inputFiles = inputs(files);
  // In text, the table --group-by asks for would come after every finding: it comes alone.
  const summaryOnly = Boolean(options.summaryOnly) || (options.format === 'text' && options.groupBy !== undefined);
  const chalk = chalkFor(process.stdout);
  const showProgress = Boolean(process.stderr.isTTY);
  let progressShown = false;
  if (options.format === 'json' && !summaryOnly) print(report.jsonStart);
  const result = await lintFiles({
    files: inputFiles,
    only: options.rule,
    disable: options.disable,
    minSeverity: options.minSeverity,
    maxFindings: options.maxFindings,
    groupBy: options.groupBy,
    extract: options.extract,
    jobs: options.jobs,
    output: summaryOnly
      ? { format: 'none' }
      : { format: options.format, colour: wantsColour(process.stdout), layout: new report.FindingFormatter(options.format, chalk), write: out.write, fd: out.fd, name: out.name },
    onProgress: showProgress
      ? (p) => {
          progressShown = true;
          process.stderr.write(report.progressLine(p));
        }
      : undefined,
  });
  if (progressShown) process.stderr.write(report.clearProgressLine());
  const summary = { groupBy: options.groupBy };
  if (options.format === 'text') new report.LintTextReporter(chalk, print).summary(result, summary);
  else if (options.format === 'json') print(report.jsonEnd(result, summary, !summaryOnly));
  else print(report.ndjsonEnd(result, summary, summaryOnly));
  return result.errors > 0 ? ExitCode.problems : ExitCode.ok;
}
