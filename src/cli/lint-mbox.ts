import { fstatSync, readlinkSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { commandList } from './command-list.js';
import { UsageError } from '../errors.js';
import { collect, configureCommand, setExitCode } from './action.js';
import { wholeNumber } from './option-parsers.js';
import { ExitCode } from './exit-codes.js';
import { chalkFor, wantsColour } from '../ui/colors.js';
import { defaultJobs } from './lint-mbox-prestart.js';

interface LintMboxCliOptions {
  format: 'text' | 'json' | 'ndjson';
  rule: string[];
  disable: string[];
  minSeverity: 'info' | 'warning' | 'error';
  maxFindings?: number;
  groupBy?: 'sender-domain' | 'mailer' | 'list-id' | 'received-from';
  summaryOnly?: boolean;
  extract?: string;
  listRules?: boolean;
  jobs: number;
}


export function registerLintMbox(program: Command): void {
  configureCommand(program.command('lint-mbox'))
    .description(commandList['lint-mbox'].summary)
    .argument('[files...]', 'mbox files; - reads standard input, as no file does when standard input is not a terminal')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'ndjson']).default('text'))
    .option('--rule <id>', 'run only this rule (repeatable; can enable rules that are off by default)', collect, [])
    .option('--disable <id>', 'do not run this rule (repeatable)', collect, [])
    .addOption(new Option('--min-severity <level>', 'report only findings at least this severe').choices(['info', 'warning', 'error']).default('info'))
    .option('--max-findings <n>', 'stop after N findings', wholeNumber('--max-findings', { min: 1 }))
    .addOption(new Option('--group-by <origin>', 'table of which origin produces which rules (in text, instead of the findings)').choices(['sender-domain', 'mailer', 'list-id', 'received-from']))
    .option('--summary-only', 'the summary (and --group-by table) without the findings')
    .option('--extract <out.mbox>', 'write every flagged message, byte-exact, to a new mbox')
    .option('--list-rules', 'list the rules with severity, description and source, then exit')
    .option('--jobs <n>', 'worker threads for files of 256 MiB or more, one per CPU up to 4 by default (1: none; not with --group-by, --extract, --max-findings, stdin or a socket as standard output)', wholeNumber('--jobs', { min: 1, max: 64 }), defaultJobs)
    .addHelpText('after', `
Exit codes: 0 no error-level finding, 1 error-level findings, 2 unreadable file, bad option
or an output that cannot be written.
--format ndjson prints one finding per line as it is found: rule, severity, file, message
(1-based), line (1-based, in the file), offset (byte), text (the line, controls visible).
--format json prints one document, written as the run goes: the findings, one per line,
then the summary.`)
    .action(async (files: string[], options: LintMboxCliOptions) => {
      setExitCode(await runLintMbox(files, options));
    });
}

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
async function runLintMbox(files: string[], options: LintMboxCliOptions): Promise<number> {
  const [{ lintFiles }, { ruleCatalog }, report, { writeAll }] = await Promise.all([
    import('../mbox/lint-files.js'),
    import('../mbox/rules/catalog.js'),
    import('../ui/lint-report.js'),
    import('../mbox/output-writes.js'),
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
