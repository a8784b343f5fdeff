/**
 * The interactive session in a real terminal (tmux): what a person sees on screen.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { startRawServer, type RawServer } from '../harness/raw-server.js';
import { findTmux, startTerminal, type TmuxTerminal } from '../harness/tmux.js';

beforeAll(async () => {
  if (!(await findTmux())) throw new Error('tmux is not installed (.ci/run installs it): these tests need a real terminal');
});

const open: TmuxTerminal[] = [];
const servers: RawServer[] = [];
afterEach(async () => {
  for (const terminal of open.splice(0)) await terminal.close();
  for (const server of servers.splice(0)) await server.close();
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

  it('a reply timeout is shown, the prompt comes back, and the late reply is shown as the reply to the timed-out command', async () => {
    const server = await startRawServer(async (socket: Socket, conn) => {
      socket.write('220 slow.test ESMTP\r\n');
      for (;;) {
        const line = (await conn.nextLine(20_000)).toString('latin1').trim();
        if (line.startsWith('EHLO')) socket.write('250 slow.test\r\n');
        // NOOP is answered only when the next command comes, just before that command's reply.
        else if (line === 'NOOP') continue;
        else if (line === 'RSET') socket.write('250 2.0.0 noop ok\r\n250 2.0.0 rset ok\r\n');
        else if (line === 'QUIT') return void socket.end('221 2.0.0 Bye\r\n');
      }
    });
    servers.push(server);
    const terminal = await startTerminal(['session', `127.0.0.1:${server.port}`, '--timeout', '1000'], 160);
    open.push(terminal);
    await terminal.until(/^smtp>/m);
    await terminal.type('NOOP');
    await terminal.until(/timed out after 1000 ms waiting for the reply to NOOP[\s\S]*smtp>/);
    await terminal.type('RSET');
    const screen = await terminal.until(/=== late reply 250 2\.0\.0 noop ok: the reply to NOOP[\s\S]*ready\s*\n\s*smtp>/);
    expect(screen).toContain('250 2.0.0 rset ok');
    expect(screen).toContain('the connection stays open');
    expect(screen).not.toMatch(/connection closed/);
  });
});
