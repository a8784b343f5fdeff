import { UsageError } from '../errors.js';
import type { SessionEvent } from '../transcript/events.js';
import { RawTranscriptFormatter } from '../transcript/raw-format.js';
import { readTranscriptFile, withReplies, type ParsedTranscript } from '../transcript/reader.js';
import { eventToJson, textTranscriptHeaderLine } from '../transcript/recorder.js';
import { TextTranscriptFormatter } from '../transcript/text-format.js';
import { chalkFor, colourLine } from '../ui/colors.js';
import { ExitCode } from './exit-codes.js';
import type { TranscriptCliOptions } from './transcript.js';

function headerLine(parsed: ParsedTranscript): string[] {
  const header = parsed.header;
  if (!header) return [];
  const started = typeof header.started === 'string' ? header.started : 'unknown time';
  return [textTranscriptHeaderLine(started, header.command ?? '', header.target)];
}

/** What --connection and --only keep; a connection the file does not have is a usage error. */
function selection(parsed: ParsedTranscript, options: TranscriptCliOptions): (event: SessionEvent) => boolean {
  let connection: number | undefined;
  if (options.connection !== undefined) {
    if (!/^#?\d+$/.test(options.connection)) throw new UsageError(`--connection ${options.connection}: give a connection number, e.g. 2`);
    connection = Number(options.connection.replace(/^#/, ''));
    const known = [...new Set(parsed.entries.map((e) => e.event.conn).filter((c) => c !== undefined))];
    if (!known.includes(connection)) {
      throw new UsageError(`--connection ${connection}: no such connection in the transcript (${known.length ? `it has ${known.join(', ')}` : 'it has no connection ids'})`);
    }
  }
  return (event) => (connection === undefined || event.conn === connection) && (options.only === undefined || event.tls === (options.only === 'tls'));
}

export async function runTranscriptCommand(file: string, options: TranscriptCliOptions): Promise<number> {
  const parsed = await readTranscriptFile(file);
  const selected = selection(parsed, options);
  const all = parsed.entries.map((entry) => entry.event);
  const events = all.filter(selected);
  const out = process.stdout;
  if (options.format === 'json') {
    const document = { header: parsed.header ?? null, damage: parsed.damage, events: events.map(eventToJson) };
    out.write(`${JSON.stringify(document, null, 2)}\n`);
  } else if (options.format === 'raw') {
    // Offsets count every byte of the file's streams, shown or not.
    const raw = new RawTranscriptFormatter();
    const lines = [...headerLine(parsed)];
    for (const event of all) {
      if (selected(event)) lines.push(...raw.format(event));
      else raw.skip(event);
    }
    out.write(lines.map((line) => `${line}\n`).join(''));
  } else {
    const chalk = chalkFor(out);
    const text = new TextTranscriptFormatter();
    const lines = [...withReplies(events).flatMap((event) => text.format(event)), ...text.flushAll()];
    out.write([...headerLine(parsed), ...lines.map((line) => colourLine(chalk, line))].map((line) => `${line}\n`).join(''));
  }
  for (const damage of parsed.damage) process.stderr.write(`smtpdbg: ${file} line ${damage.line}: ${damage.message}\n`);
  return parsed.damage.length > 0 ? ExitCode.problems : ExitCode.ok;
}
