/**
 * Usage errors: one line in the form of every other error and where the help is, exit 2 —
 * not the command's whole help, which would scroll the error out of sight.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../harness/run-cli.js';

describe('usage errors', () => {
  it.each([
    [['inject', '--bogus'], "smtpdbg: unknown option '--bogus'", 'smtpdbg inject'],
    [['session', '--timeout'], "smtpdbg: option '--timeout <ms>' argument missing", 'smtpdbg session'],
    [['lint-mbox', '--min-severity', 'loud'], "smtpdbg: option '--min-severity <level>' argument 'loud' is invalid. Allowed choices are info, warning, error.", 'smtpdbg lint-mbox'],
    [['serve', 'extra'], "smtpdbg: too many arguments for 'serve'. Expected 0 arguments but got 1.", 'smtpdbg serve'],
    [['transcript'], "smtpdbg: missing required argument 'file'", 'smtpdbg transcript'],
    [['proxy'], "smtpdbg: required option '--upstream <host:port>' not specified", 'smtpdbg proxy'],
    [['bogus'], "smtpdbg: unknown command 'bogus'", 'smtpdbg'],
  ])('%j: one line, then where the help is, exit 2', async (args, line, command) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`${line}\n(see ${command} --help)\n`);
  });
});
