import type { ChalkInstance } from 'chalk';
import type { Segment } from '../smtp/visible.js';
import type { TextLine } from '../transcript/text-format.js';

/** Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function wantsColour(stream: NodeJS.WriteStream): boolean {
  const forced = process.env.FORCE_COLOR;
  if (forced !== undefined) return forced !== '0' && forced !== 'false';
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env);
}

/** Stands in for chalk when there is no colour: every style is the identity. */
const plainChalk: ChalkInstance = new Proxy(Object.assign((...text: unknown[]) => text.join(' '), {}), {
  // Not a thenable: an async function may return it.
  get: (_target, property) => (property === 'level' ? 0 : property === 'then' ? undefined : plainChalk),
  apply: (_target, _this, text: unknown[]) => text.join(' '),
}) as unknown as ChalkInstance;

let chalkClass: (typeof import('chalk'))['Chalk'] | undefined;

/**
 * Loads chalk only when some output will be coloured, so that piped runs (scripts,
 * benchmarks) do not pay for it. main.ts calls this once before any command runs.
 */
export async function prepareColours(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): Promise<void> {
  if (chalkClass || !streams.some(wantsColour)) return;
  chalkClass = (await import('chalk')).Chalk;
}

/** A chalk for a thread that has no terminal of its own: its owner decided on colour. */
export async function loadChalk(colour: boolean): Promise<ChalkInstance> {
  if (!colour) return plainChalk;
  chalkClass ??= (await import('chalk')).Chalk;
  return new chalkClass({ level: 1 });
}

export function chalkFor(stream: NodeJS.WriteStream): ChalkInstance {
  if (!wantsColour(stream) || !chalkClass) return plainChalk;
  return new chalkClass({ level: 1 });
}

export function colourForReply(chalk: ChalkInstance, code: number | undefined): (text: string) => string {
  if (code === undefined) return (t) => t;
  if (code < 300) return chalk.green;
  if (code < 400) return chalk.cyan;
  if (code < 500) return chalk.yellow;
  return chalk.red;
}

/** Terminators dim when CRLF, highlighted when bare: the thing our users look for. */
export function colourSegment(chalk: ChalkInstance, segment: Segment, text: (t: string) => string): string {
  switch (segment.kind) {
    case 'crlf': return chalk.dim(segment.text);
    case 'bare-cr':
    case 'bare-lf': return chalk.bgRed.white.bold(segment.text);
    case 'control': return chalk.magenta(segment.text);
    default: return text(segment.text);
  }
}

export function colourLine(chalk: ChalkInstance, line: TextLine): string {
  const body = line.kind === 'recv' ? colourForReply(chalk, line.replyCode) : (t: string) => t;
  const segments = line.segments.map((s) => colourSegment(chalk, s, body)).join('');
  const tail = line.unterminated ? chalk.dim(' (no line end)') : '';
  switch (line.kind) {
    case 'info': return chalk.dim(`${line.prefix}${line.marker}`) + chalk.blue(segments) + tail;
    case 'warning':
    case 'error': return chalk.red.bold(`${line.prefix}${line.marker}`) + chalk.red(segments) + tail;
    default: return chalk.dim(`${line.prefix}${line.marker}`) + segments + tail;
  }
}
