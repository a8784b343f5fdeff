import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The archive fixtures (fixtures/mbox/make-archive-fixtures.mjs) through the built CLI: each
 * gives exactly the findings marked in its source, at file:message:line, with their rule and
 * severity, and the exit code follows from them (1 with an error-level finding, else 0).
 */
const root = join(import.meta.dirname, '../..');
const archives = join(root, 'fixtures/mbox/archives');
const expected: Record<string, { message: number; rule: string; severity: string; line: number; offset: number }[]> = JSON.parse(readFileSync(join(archives, 'expected.json'), 'utf8'));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/smtpdbg.js'), 'lint-mbox', ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined },
    timeout: 20_000,
  });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist/cli/lint-mbox.js'))) throw new Error('dist/ is not built: run npm run build');
});

describe('lint-mbox on archive-shaped fixtures (built CLI)', () => {
  it.each(Object.keys(expected))('%s: the marked findings, their severity and the exit code', (name) => {
    const file = join(archives, `${name}.mbox`);
    const r = cli(['--format', 'ndjson', file]);
    expect(r.stderr).toBe('');
    const found = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .map(({ message, rule, severity, line, offset }) => ({ message, rule, severity, line, offset }));
    expect(found).toEqual(expected[name]);
    expect(r.status).toBe(expected[name]!.some((f) => f.severity === 'error') ? 1 : 0);
    // The text report names the same places as file:message:line.
    const text = cli([file]);
    for (const f of expected[name]!) expect(text.stdout).toContain(`${file}:${f.message}:${f.line}  ${f.severity}  ${f.rule}`);
    expect(text.status).toBe(r.status);
  });

  it('--min-severity error leaves out a Content-Length mismatch in an mboxo file, which is a warning there', () => {
    const file = join(archives, 'content-length-mboxo.mbox');
    const r = cli(['--format', 'ndjson', '--min-severity', 'error', file]);
    expect([r.status, r.stdout]).toEqual([0, '']);
    expect(cli(['--format', 'ndjson', '--min-severity', 'warning', file]).stdout).toContain('"rule":"content-length-mismatch","severity":"warning"');
  });
});
