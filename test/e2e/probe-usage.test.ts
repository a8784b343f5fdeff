/** probe's usage errors and an unreachable DNS server: one line, the right exit code, no stack trace. */
import * as dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { runCli } from '../harness/run-cli.js';

describe('probe usage', () => {
  it('refuses a DNS server given by name, and a domain that is not one, with exit 2', async () => {
    const byName = await runCli(['probe', 'example.test', '--dns-server', 'resolver.example']);
    expect(byName.code).toBe(2);
    expect(byName.stderr).toBe('smtpdbg: --dns-server resolver.example: "resolver.example" is not an IP address\n');
    const notDomain = await runCli(['probe', 'user@example.test', '--dns-server', '127.0.0.1']);
    expect(notDomain.code).toBe(2);
    expect(notDomain.stderr).toBe('smtpdbg: "user@example.test" is not a domain name (internationalized names go in their xn-- form)\n');
    const port = await runCli(['probe', 'example.test', '--smtp-port', '70000']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--smtp-port 70000: expected a whole number, 1 to 65535');
  });

  it('a DNS server that never answers: exit 3 after the timeout, saying which server', async () => {
    // A bound UDP socket that reads nothing: queries reach it and are never answered.
    const socket = dgram.createSocket('udp4');
    const port = await new Promise<number>((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket.address().port)));
    try {
      const result = await runCli(['probe', 'example.test', '--dns-server', `127.0.0.1:${port}`, '--timeout', '800']);
      expect(result.code).toBe(3);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`smtpdbg: cannot resolve example.test (MX) with the DNS server 127.0.0.1:${port}: timed out after 800 ms waiting for the DNS answer to MX example.test from 127.0.0.1:${port}\n`);
    } finally {
      socket.close();
    }
  });

  it('is listed in the top-level help and documents the AD bit and its exit codes', async () => {
    expect((await runCli(['--help'])).stdout).toMatch(/probe <domain> +check a mail domain from outside/);
    const help = await runCli(['probe', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--dns-server <host[:port]>');
    expect(help.stdout).toContain('name with --dns-server a validating resolver you');
    expect(help.stdout).toContain('3 the domain cannot be resolved');
  });
});
