/**
 * A real terminal for the interactive UI: the built CLI runs inside tmux (a private server
 * per test, so nothing is shared with a user's tmux), keys are typed with send-keys and the
 * screen is read with capture-pane, as a person would see it.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { BIN, REPO_ROOT } from './run-cli.js';
import { setTimeout as sleep } from 'node:timers/promises';

const run = promisify(execFile);

export interface TmuxTerminal {
  /** Types text; `enter` presses Enter after it. */
  type(text: string, enter?: boolean): Promise<void>;
  resize(columns: number): Promise<void>;
  /** The visible screen, trailing blank lines removed. */
  screen(): Promise<string>;
  /** Waits until the screen matches. */
  until(what: RegExp, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export async function findTmux(): Promise<string | undefined> {
  try {
    await run('tmux', ['-V']);
    return 'tmux';
  } catch {
    return undefined;
  }
}

export async function startTerminal(args: string[], columns = 120, rows = 30): Promise<TmuxTerminal> {
  const socket = `smtpdbg-test-${randomUUID()}`;
  const tmux = (...more: string[]) => run('tmux', ['-L', socket, ...more], { cwd: REPO_ROOT });
  const quoted = [process.execPath, BIN, ...args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
  await tmux('new-session', '-d', '-s', 'ui', '-x', String(columns), '-y', String(rows), `env -u SMTPDBG_PASSWORD -u NO_COLOR -u FORCE_COLOR ${quoted}; sleep 30`);
  const screen = async () => (await tmux('capture-pane', '-t', 'ui', '-p')).stdout.replace(/\s+$/, '');
  return {
    type: async (text, enter = true) => {
      await tmux('send-keys', '-t', 'ui', '-l', text);
      if (enter) await tmux('send-keys', '-t', 'ui', 'Enter');
    },
    resize: async (width) => {
      await tmux('resize-window', '-t', 'ui', '-x', String(width));
    },
    screen,
    until: async (what, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const last = await screen();
        if (what.test(last)) return last;
        if (Date.now() > deadline) throw new Error(`the screen never matched ${what} in ${timeoutMs} ms:\n${last}`);
        await sleep(100);
      }
    },
    close: async () => {
      await tmux('kill-server').catch(() => undefined);
    },
  };
}
