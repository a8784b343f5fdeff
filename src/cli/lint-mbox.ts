import { fstatSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { commandList } from './command-list.js';
import { UsageError } from '../errors.js';
import { collect, configureCommand, setExitCode } from './action.js';
import { ExitCode } from './exit-codes.js';
import type { Finding } from '../mbox/types.js';
import { chalkFor, wantsColour } from '../ui/colors.js';
import { defaultJobs } from './lint-mbox-prestart.js';

interface LintMboxCliOptions {
  format: 'text' | 'json' | 'ndjson';
  rule: string[];
  disable: string[];
  minSeverity: 'info' | 'warning' | 'error';
  maxFindings?: number;
  groupBy?: 'sender-domain' | 'mailer' | 'list-id' | 'received-from';
  extract?: string;
  listRules?: boolean;
  jobs: number;
}

const positiveInteger = (option: string) => (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${option} ${value}: expected a whole number above 0`);
  return Number(value);
};

export function registerLintMbox(program: Command): void {
  configureCommand(program.command('lint-mbox'))
    .description(commandList['lint-mbox'].summary)
    .argument('[files...]', 'mbox files; - reads standard input', ['-'])
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'ndjson']).default('text'))
    .option('--rule <id>', 'run only this rule (repeatable; can enable rules that are off by default)', collect, [])
    .option('--disable <id>', 'do not run this rule (repeatable)', collect, [])
    .addOption(new Option('--min-severity <level>', 'report only findings at least this severe').choices(['info', 'warning', 'error']).default('info'))
    .option('--max-findings <n>', 'stop after N findings', positiveInteger('--max-findings'))
    .addOption(new Option('--group-by <origin>', 'table of which origin produces which rules').choices(['sender-domain', 'mailer', 'list-id', 'received-from']))
    .option('--extract <out.mbox>', 'write every flagged message, byte-exact, to a new mbox')
    .option('--list-rules', 'list the rules with severity, description and source, then exit')
    .option('--jobs <n>', 'worker threads for files of 256 MiB or more, one per CPU up to 4 by default (1: none; not with --group-by, --extract, --max-findings, stdin or a socket as standard output)', positiveInteger('--jobs'), defaultJobs)
    .addHelpText('after', `
Exit codes: 0 no error-level finding, 1 error-level findings, 2 unreadable file or bad option.
--format ndjson prints one finding per line as it is found: rule, severity, file, message
(1-based), line (1-based, in the file), offset (byte), text (the line, controls visible).`)
    .action(async (files: string[], options: LintMboxCliOptions) => {
      setExitCode(await runLintMbox(files, options));
    });
}

/**
 * Standard output's descriptor when writes to it are synchronous (a file, a pipe or a
 * terminal on Linux), so that worker threads can write their findings to it in turn.
 */
function synchronousOutputFd(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stats = fstatSync(1);
    return stats.isFile() || stats.isFIFO() || stats.isCharacterDevice() ? 1 : undefined;
  } catch {
    return undefined;
  }
}

/** The command itself; its modules load only when it runs, so start-up stays fast. */
async function runLintMbox(files: string[], options: LintMboxCliOptions): Promise<number> {
  const [{ lintFiles }, { ruleCatalog }, report] = await Promise.all([
    import('../mbox/lint-files.js'),
    import('../mbox/rules/catalog.js'),
    import('../ui/lint-report.js'),
  ]);
  const out = process.stdout;
  if (options.listRules) {
    if (options.format === 'text') out.write(`${report.ruleListText(ruleCatalog)}\n`);
    else out.write(`${JSON.stringify(ruleCatalog, null, options.format === 'json' ? 2 : undefined)}\n`);
    return ExitCode.ok;
  }
  const text = options.format === 'text' ? new report.LintTextReporter(out) : undefined;
  const collected: Finding[] = [];
  const showProgress = Boolean(process.stderr.isTTY);
  let progressShown = false;
  const result = await lintFiles({
    files,
    only: options.rule,
    disable: options.disable,
    minSeverity: options.minSeverity,
    maxFindings: options.maxFindings,
    groupBy: options.groupBy,
    extract: options.extract,
    jobs: options.jobs,
    output:
      options.format === 'json'
        ? { format: 'objects', finding: (f) => collected.push(f) }
        : { format: options.format, colour: wantsColour(out), layout: new report.FindingFormatter(options.format, chalkFor(out)), write: (bytes) => out.write(bytes), fd: synchronousOutputFd() },
    onProgress: showProgress
      ? (p) => {
          progressShown = true;
          process.stderr.write(report.progressLine(p));
        }
      : undefined,
  });
  if (progressShown) process.stderr.write(report.clearProgressLine());
  if (text) {
    text.summary(result);
    if (result.groups && options.groupBy) text.groups(options.groupBy, result.groups);
  } else if (options.format === 'json') {
    const { files: perFile, summary, findings, errors, truncated, groups, extracted } = result;
    out.write(`${JSON.stringify({ findings: collected, summary, files: perFile, total: findings, errors, truncated, groups, extracted }, null, 2)}\n`);
  } else if (options.groupBy && result.groups) {
    for (const row of result.groups) out.write(`${JSON.stringify({ type: 'group', groupBy: options.groupBy, ...row })}\n`);
  }
  return result.errors > 0 ? ExitCode.problems : ExitCode.ok;
}
