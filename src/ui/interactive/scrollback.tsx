import type { ChalkInstance } from 'chalk';
import { Static, Text } from 'ink';
import { useLayoutEffect, useRef } from 'react';
import { colourForReply, colourLine } from '../colors.js';
import type { ScrollLine } from './scrollback-model.js';

/** One scrollback line as an ANSI string, in the colours of the printed transcript. */
export function renderScrollLine(chalk: ChalkInstance, line: ScrollLine): string {
  const text = line.segments.map((s) => s.text).join('');
  // A failed certificate verification or a non-base64 challenge must not be missed.
  if (line.kind === 'warning') return chalk.bgRed.white.bold(`${line.prefix}${line.marker}${text}`);
  // Explanations under a reply take the reply's colour, so they read as part of it.
  if (line.kind === 'info' && line.replyCode !== undefined) {
    return chalk.dim(`${line.prefix}${line.marker}`) + colourForReply(chalk, line.replyCode)(text);
  }
  return colourLine(chalk, line);
}

/**
 * The conversation so far. Ink's <Static> writes its items once, above the live part, and
 * remembers only how many it wrote — so each batch of new lines gets its own <Static>
 * (keyed by its first id) and the lines already written are never handed to ink again.
 * That keeps a long session as fast as a short one.
 */
export function Scrollback({ lines, chalk }: { lines: readonly ScrollLine[]; chalk: ChalkInstance }) {
  const written = useRef(-1);
  const start = lines.findIndex((line) => line.id > written.current);
  const batch = start === -1 ? [] : lines.slice(start);
  useLayoutEffect(() => {
    const last = batch[batch.length - 1];
    if (last) written.current = last.id;
  });
  return (
    <Static key={batch[0]?.id ?? 'none'} items={batch}>
      {(line) => <Text key={line.id}>{renderScrollLine(chalk, line)}</Text>}
    </Static>
  );
}
