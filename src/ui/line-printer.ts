import type { EventStream } from '../transcript/events.js';
import { TextTranscriptFormatter } from '../transcript/text-format.js';
import { chalkFor, colourLine } from './colors.js';

/**
 * Prints the conversation as it happens, in the transcript's text form with colour when the
 * stream is a terminal (with `--timestamps`, each line after the milliseconds since the
 * start). Returns a function that flushes a final partial line.
 */
export function printEvents(events: EventStream, stream: NodeJS.WriteStream, options: { timestamps?: boolean } = {}): () => void {
  const chalk = chalkFor(stream);
  const formatter = new TextTranscriptFormatter(options);
  const unsubscribe = events.subscribe((event) => {
    for (const line of formatter.format(event)) stream.write(`${colourLine(chalk, line)}\n`);
  });
  return () => {
    for (const line of formatter.flushAll()) stream.write(`${colourLine(chalk, line)}\n`);
    unsubscribe();
  };
}

export function printError(stream: NodeJS.WriteStream, message: string): void {
  const chalk = chalkFor(stream);
  stream.write(`${chalk.red.bold('*** ')}${chalk.red(message)}\n`);
}
