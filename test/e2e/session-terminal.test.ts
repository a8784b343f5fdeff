/**
 * The interactive session in a real terminal (tmux): what a person sees on screen.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findTmux, startTerminal, type TmuxTerminal } from '../harness/tmux.js';

beforeAll(async () => {
  if (!(await findTmux())) throw new Error('tmux is not installed (.ci/run installs it): these tests need a real terminal');
});

const open: TmuxTerminal[] = [];
afterEach(async () => {
  for (const terminal of open.splice(0)) await terminal.close();
});

async function sessionTerminal(columns = 120): Promise<TmuxTerminal> {
  const terminal = await startTerminal(['session'], columns);
  open.push(terminal);
  await terminal.until(/^smtp>/m);
  return terminal;
}

describe('interactive session in a terminal', () => {
  it('leaves no fragment of the old status line behind when the terminal narrows, and fits the line to the width', async () => {
    const terminal = await sessionTerminal(120);
    await terminal.type('EHLO x');
    await terminal.until(/last 250 │ term CRLF │ ready/);
    for (const columns of [80, 60, 40]) {
      await terminal.resize(columns);
      const screen = await terminal.until(/verify ok[^\n]*ready\s*\n\s*smtp>/);
      const statusLines = screen.split('\n').filter((line) => line.includes('│'));
      // One status line, and no piece of an earlier, wider one.
      expect(statusLines, screen).toHaveLength(1);
      expect([...statusLines[0]!].length, screen).toBeLessThan(columns);
      expect(statusLines[0]).toMatch(/verify ok │ (last )?250 │ .*ready/);
    }
  });
});
