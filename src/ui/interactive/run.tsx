import { render } from 'ink';
import { setTimeout as sleep } from 'node:timers/promises';
import { chalkFor } from '../colors.js';
import { App } from './app.js';
import { InteractiveController, type InteractiveOptions } from './controller.js';

/**
 * The interactive `session` (stdin is a terminal). Returns the exit code — 0 when every
 * reply was 2xx/3xx, 1 when a 4xx/5xx came back, 3 on a connection, TLS or protocol
 * failure — and leaves exiting to src/cli. Passwords come from SMTPDBG_PASSWORD or a
 * masked prompt inside the UI: the terminal prompt of src/cli/password.ts would fight ink
 * for stdin, so `options.auth.password` is not called (the CLI passes none).
 */
export async function runInteractiveSession(options: InteractiveOptions): Promise<number> {
  const controller = new InteractiveController(options);
  const chalk = chalkFor(process.stdout);
  const ink = render(<App controller={controller} chalk={chalk} />, { exitOnCtrlC: false });
  void controller.start();
  try {
    return await controller.finished;
  } finally {
    // Let ink draw the final state (the close, the exit code) before it lets go of the terminal.
    await sleep(50);
    ink.unmount();
    await ink.waitUntilExit();
  }
}
