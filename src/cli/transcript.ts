import { Option, type Command } from 'commander';
import { commandList } from './command-list.js';
import { timestampsOption } from '../transcript/text-format.js';
import { configureCommand, setExitCode } from './action.js';
import { DEFAULT_MAX_EVENT_OCTETS } from '../transcript/reader.js';

export interface TranscriptCliOptions {
  format: 'text' | 'raw' | 'json';
  connection?: string;
  only?: 'tls' | 'plain';
  maxEventSize?: string;
  timestamps?: boolean;
}

export function registerTranscript(program: Command): void {
  configureCommand(program.command('transcript'))
    .description(commandList['transcript'].summary)
    .argument('<file>', 'the .jsonl transcript')
    .addOption(new Option('--format <format>', 'text: swaks-style markers, terminators visible; raw: hex and escaped bytes with offsets per direction; json: one document').choices(['text', 'raw', 'json']).default('text'))
    .option(...timestampsOption)
    .option('--connection <id>', 'only this connection (the #N of proxy transcripts)')
    .addOption(new Option('--only <part>', 'only the events inside TLS, or only those in plain text').choices(['tls', 'plain']))
    .option('--max-event-size <octets>', 'a line (one event) longer than this is reported and skipped', String(DEFAULT_MAX_EVENT_OCTETS))
    .addHelpText('after', `
The file is read as a stream, so its size does not matter; only one event is held at a
time. A damaged file (a last line cut off by an interrupted recording, a line that is not
JSON, a header of an unknown version, an event over --max-event-size) is reported on stderr
with its line numbers; everything else is still shown.
Exit: 0 rendered, 1 rendered but the file is damaged, 2 usage error, a file that cannot be
read or is not a JSON Lines transcript, or standard output that cannot be written.`)
    .action(async (file: string, options: TranscriptCliOptions) => {
      const { runTranscriptCommand } = await import('./transcript-run.js');
      setExitCode(await runTranscriptCommand(file, options));
    });
}
