import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../harness/run-cli.js';
import { startMiniServer, type MiniServer } from './inject-mini-server.js';

/** Scripted `session` against a small real server: exit codes, DATA bytes, local commands. */
let server: MiniServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('session exit codes', () => {
  it('EHLO refused then HELO accepted is a working server: exit 0', async () => {
    server = await startMiniServer({ ehlo: '500 5.5.1 EHLO not understood' });
    const result = await runCli(['session', `127.0.0.1:${server.port}`], { stdin: 'NOOP\n' });
    expect(result.stdout).toContain('HELO');
    expect(result.code).toBe(0);
  });

  it('--quit-after auth without --auth is a usage error, before any connection', async () => {
    server = await startMiniServer();
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--quit-after', 'auth']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('--quit-after auth needs --auth');
    expect(server.received).toHaveLength(0);
  });

  it('--quit-after tls --plain is a usage error', async () => {
    server = await startMiniServer();
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--quit-after', 'tls', '--plain']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--quit-after tls cannot stop after TLS with --plain');
    expect(server.received).toHaveLength(0);
  });
});
