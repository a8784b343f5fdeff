import { stripVTControlCharacters } from 'node:util';

/**
 * Erase the screen (not the terminal's scrollback) and put the cursor at the top left.
 * ECMA-48 ED 2 and CUP.
 */
export const clearScreen = '\u001b[2J\u001b[H';

/**
 * The last conversation lines that fill `rows` rows of a terminal `columns` wide, as one
 * string ending in a line break. A line wider than the terminal takes several rows.
 *
 * Used when the terminal narrows: terminals that reflow their contents (tmux, VTE,
 * iTerm2…) re-wrap the live status and input lines, so the lines ink erases before
 * drawing them again are no longer the rows they occupy, and fragments of the old status
 * line stay on screen. Redrawing the screen from the conversation leaves nothing stale,
 * whether or not the terminal reflows.
 */
export function screenTail(rendered: readonly string[], columns: number, rows: number): string {
  const width = Math.max(1, columns);
  const tail: string[] = [];
  let used = 0;
  for (let i = rendered.length - 1; i >= 0 && used < rows; i -= 1) {
    const line = rendered[i]!;
    const needs = Math.max(1, Math.ceil([...stripVTControlCharacters(line)].length / width));
    if (used + needs > rows) break;
    tail.push(line);
    used += needs;
  }
  return tail.length === 0 ? '' : `${tail.reverse().join('\n')}\n`;
}
