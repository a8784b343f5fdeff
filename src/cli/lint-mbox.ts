import { Option, type Command } from 'commander';
import { commandList } from './command-list.js';
import { collect, configureCommand, setExitCode } from './action.js';
import { wholeNumber } from './option-parsers.js';
import { defaultJobs } from './lint-mbox-prestart.js';

export interface LintMboxCliOptions {
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
    .option('--jobs <n>', 'worker threads for files of 256 MiB or more (192 MiB when their messages are small), one per CPU up to 4 by default (1: none; not with --group-by, --extract, --max-findings, stdin or a socket as standard output)', wholeNumber('--jobs', { min: 1, max: 64 }), defaultJobs)
    .addHelpText('after', `
Exit codes: 0 no error-level finding, 1 error-level findings, 2 unreadable file, bad option
or an output that cannot be written.
--format ndjson prints one finding per line as it is found: rule, severity, file, message
(1-based), line (1-based, in the file), offset (byte), text (the line, controls visible).
--format json prints one document, written as the run goes: the findings, one per line,
then the summary.`)
    .action(async (files: string[], options: LintMboxCliOptions) => {
      const { runLintMbox } = await import('./lint-mbox-run.js');
      setExitCode(await runLintMbox(files, options));
    });
}

