import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const values = join(root, 'fixtures/mbox/values');

/** Runs the built CLI on one fixture; its finding lines as `file:message:line  severity  rule`, and the exit code. */
function lint(name: string) {
  const file = join(values, name);
  const r = spawnSync(process.execPath, [join(root, 'bin/smtpdbg.js'), 'lint-mbox', file], { env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined }, timeout: 20_000 });
  const stdout = r.stdout.toString();
  const findings = stdout
    .split('\n')
    .filter((l) => l.startsWith(`${file}:`) && /^:\d+:\d+  /.test(l.slice(file.length)))
    .map((l) => l.slice(values.length + 1).split('  ').slice(0, 3).join('  '));
  return { status: r.status, stdout, findings };
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist/cli/lint-mbox.js'))) throw new Error('dist/ is not built: run npm run build');
});

describe('lint-mbox value grammars on real shapes, built CLI', () => {
  it('valid and obsolete syntax: groups with comments, quoted-pairs, RFC 5322 A.5 and A.6.1, obsolete Message-IDs, an encoded-word in quotes: info findings only, exit 0', () => {
    const r = lint('valid.mbox');
    expect(r.findings).toEqual([
      'valid.mbox:4:32  info  address-obsolete',
      'valid.mbox:5:44  info  message-id-obsolete',
      'valid.mbox:6:53  info  message-id-obsolete',
      'valid.mbox:7:60  info  encoded-word-in-quoted-string',
    ]);
    expect(r.stdout).toContain('To: a route before the address ("<@machine.tld:"); an empty list element (", ,"); white space or a comment next to "." in "jdoe@test   . example"');
    expect(r.stdout).toContain('"<9209252113.AA00975@ ebony >": white space or a comment inside "<…>"');
    expect(r.stdout).toContain('4 findings (0 errors) in 4 of 9 messages');
    expect(r.status).toBe(0);
  });

  it('12-hour clocks, an impossible zone, Message-IDs that are not dot-atoms, unterminated groups: one finding per line, exit 1', () => {
    const r = lint('invalid.mbox');
    expect(r.findings).toEqual([
      'invalid.mbox:1:2  error  date-invalid',
      'invalid.mbox:2:11  error  date-invalid',
      'invalid.mbox:3:20  warning  date-zone',
      'invalid.mbox:4:33  warning  message-id-invalid',
      'invalid.mbox:5:42  warning  message-id-invalid',
      'invalid.mbox:6:48  error  address-invalid',
      'invalid.mbox:7:58  error  address-invalid',
    ]);
    expect(r.stdout).toContain('date-invalid  hour "3" is not two digits; "AM": RFC 5322 times are 24-hour, without AM or PM; no time zone');
    expect(r.stdout).toContain('date-invalid  "PM": RFC 5322 times are 24-hour, without AM or PM');
    expect(r.stdout).toContain('date-zone  zone -3000 is more than 14 hours from UTC');
    expect(r.stdout).toContain('address-invalid  From: "qvaC:" starts a group that no ";" ends');
    expect(r.status).toBe(1);
  });
});
