import { parseWholeNumber } from './option-parsers.js';
import { UsageError } from '../errors.js';
import { BatchedWriter } from '../io/batched-writer.js';
import type { SessionEvent } from '../transcript/events.js';
import { RawTranscriptFormatter } from '../transcript/raw-format.js';
import { DEFAULT_MAX_EVENT_OCTETS, readTranscript, ReplyDeriver, type TranscriptItem } from '../transcript/reader.js';
import { eventToJson, textTranscriptHeaderLine, type TranscriptHeader } from '../transcript/recorder.js';
import { TextTranscriptFormatter } from '../transcript/text-format.js';
import { chalkFor, colourLine } from '../ui/colors.js';
import { ExitCode } from './exit-codes.js';
import type { TranscriptCliOptions } from './transcript.js';

type Header = Extract<TranscriptItem, { type: 'header' }>['header'];
type Damage = Extract<TranscriptItem, { type: 'damage' }>;

function headerLine(header: TranscriptHeader & { started?: unknown }): string {
  const started = typeof header.started === 'string' ? header.started : 'unknown time';
  return textTranscriptHeaderLine(started, header.command ?? '', header.target);
}

function parseConnection(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^#?\d+$/.test(value)) throw new UsageError(`--connection ${value}: give a connection number, e.g. 2`);
  return Number(value.replace(/^#/, ''));
}

function parseMaxEventSize(value: string | undefined): number {
  return value === undefined ? DEFAULT_MAX_EVENT_OCTETS : parseWholeNumber('--max-event-size', value, { min: 1024, max: 2 ** 30, unit: 'octets' });
}

/**
 * How one output format renders the stream of a transcript: lines to print for the header,
 * each selected event and the end, as they come; damage goes to stderr whatever the format.
 */
interface Renderer {
  header(header: Header | undefined): Iterable<string>;
  event(event: SessionEvent, selected: boolean): Iterable<string>;
  damage(damage: Damage): void;
  end(): Iterable<string>;
}

function textRenderer(stream: NodeJS.WriteStream, timestamps: boolean): Renderer {
  const chalk = chalkFor(stream);
  const text = new TextTranscriptFormatter({ timestamps });
  const replies = new ReplyDeriver();
  return {
    header: (header) => (header ? [headerLine(header)] : []),
    *event(event, selected) {
      if (!selected) return;
      for (const one of replies.take(event)) for (const line of text.format(one)) yield colourLine(chalk, line);
    },
    damage: () => undefined,
    end: () => text.flushAll().map((line) => colourLine(chalk, line)),
  };
}

function rawRenderer(): Renderer {
  // Offsets count every byte of the file's streams, shown or not.
  const raw = new RawTranscriptFormatter();
  return {
    header: (header) => (header ? [headerLine(header)] : []),
    event(event, selected) {
      if (selected) return raw.format(event);
      raw.skip(event);
      return [];
    },
    damage: () => undefined,
    end: () => [],
  };
}

/** Indents a JSON value's continuation lines to sit at `depth` inside the document. */
const nested = (value: unknown, depth: number) => JSON.stringify(value, null, 2).replace(/\n/g, `\n${' '.repeat(depth)}`);

/**
 * One JSON document, `{ header, events, damage }`, written as the file is read: the events
 * are never all in memory. Damage is listed after the events because it is known only then.
 */
function jsonRenderer(): Renderer {
  const damage: Array<{ line: number; message: string }> = [];
  // Each event is written once the next one (or the end) shows whether a comma follows it.
  let previous: string | undefined;
  return {
    header: (header) => [`{\n  "header": ${nested(header ?? null, 2)},\n  "events": [`],
    event(event, selected) {
      if (!selected) return [];
      const written = previous === undefined ? [] : [`${previous},`];
      previous = `    ${nested(eventToJson(event), 4)}`;
      return written;
    },
    damage: (item) => void damage.push({ line: item.line, message: item.message }),
    end: () => [...(previous === undefined ? [] : [previous]), `  ],\n  "damage": ${nested(damage, 2)}\n}`],
  };
}

/** The connection ids of a transcript, for --connection: read once before rendering. */
async function connectionsOf(file: string, maxEventOctets: number): Promise<Set<number>> {
  const ids = new Set<number>();
  for await (const item of readTranscript(file, { maxEventOctets, limitName: '--max-event-size' })) {
    if (item.type === 'event' && item.event.conn !== undefined) ids.add(item.event.conn);
  }
  return ids;
}

export async function runTranscriptCommand(file: string, options: TranscriptCliOptions): Promise<number> {
  const connection = parseConnection(options.connection);
  const maxEventOctets = parseMaxEventSize(options.maxEventSize);
  if (connection !== undefined) {
    const known = [...await connectionsOf(file, maxEventOctets)].sort((a, b) => a - b);
    if (!known.includes(connection)) {
      throw new UsageError(`--connection ${connection}: no such connection in the transcript (${known.length ? `it has ${known.join(', ')}` : 'it has no connection ids'})`);
    }
  }
  const selected = (event: SessionEvent) => (connection === undefined || event.conn === connection) && (options.only === undefined || event.tls === (options.only === 'tls'));
  const renderer = options.format === 'json' ? jsonRenderer() : options.format === 'raw' ? rawRenderer() : textRenderer(process.stdout, options.timestamps ?? false);
  const out = new BatchedWriter(process.stdout);
  const print = async (lines: Iterable<string>) => {
    for (const line of lines) {
      if (out.stopped) return;
      await out.line(line);
    }
  };
  let started = false;
  let damaged = false;
  for await (const item of readTranscript(file, { maxEventOctets, limitName: '--max-event-size' })) {
    if (out.stopped) break;
    if (item.type === 'damage') {
      damaged = true;
      renderer.damage(item);
      process.stderr.write(`smtpdbg: ${file} line ${item.line}: ${item.message}\n`);
      continue;
    }
    if (!started) {
      started = true;
      await print(renderer.header(item.type === 'header' ? item.header : undefined));
    }
    if (item.type === 'event') await print(renderer.event(item.event, selected(item.event)));
  }
  if (started) await print(renderer.end());
  await out.flush();
  return damaged ? ExitCode.problems : ExitCode.ok;
}
