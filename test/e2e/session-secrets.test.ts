import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRawServer, type RawServer } from '../harness/raw-server.js';
import { runCli } from '../harness/run-cli.js';

/**
 * AUTH secrets typed in a scripted session (the interactive UI runs the same lines through
 * the same code) are redacted by protocol state — an AUTH command's initial response and
 * every line answering a 334 — whichever way they were sent, on screen, in both transcript
 * forms and in --json. The server still gets the real bytes.
 */
const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-secrets-'));
const PLAIN = Buffer.from('\0bob\0hunter2').toString('base64'); // AGJvYgBodW50ZXIy
const USER = Buffer.from('bob').toString('base64'); // Ym9i
const PASS = Buffer.from('hunter2').toString('base64'); // aHVudGVyMg==
const SECRETS = [PLAIN, USER, PASS, 'hunter2'];

let server: RawServer;
beforeAll(async () => {
  // Any credentials accepted; AUTH words split at any white space, as Postfix splits them.
  server = await startRawServer(async (socket, conn) => {
    socket.write('220 auth.test ESMTP\r\n');
    let state: 'command' | 'plain' | 'user' | 'pass' = 'command';
    for (;;) {
      const line = (await conn.nextLine(10_000)).toString('latin1').replace(/\r?\n$/, '');
      if (state === 'user') {
        state = 'pass';
        socket.write('334 UGFzc3dvcmQ6\r\n');
        continue;
      }
      if (state !== 'command') {
        state = 'command';
        socket.write('235 2.7.0 Authentication successful\r\n');
        continue;
      }
      const [verb = '', mechanism = '', initial] = line.trim().split(/\s+/);
      switch (verb.toUpperCase()) {
        case 'EHLO':
          socket.write('250-auth.test\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n');
          break;
        case 'AUTH':
          if (mechanism.toUpperCase() === 'PLAIN') {
            if (initial) socket.write('235 2.7.0 Authentication successful\r\n');
            else {
              state = 'plain';
              socket.write('334 \r\n');
            }
          } else {
            state = initial ? 'pass' : 'user';
            socket.write(initial ? '334 UGFzc3dvcmQ6\r\n' : '334 VXNlcm5hbWU6\r\n');
          }
          break;
        case 'QUIT':
          socket.end('221 2.0.0 Bye\r\n');
          return;
        default:
          socket.write('250 2.0.0 Ok\r\n');
      }
    }
  });
});
afterAll(async () => {
  await server.close();
});

const variants: Array<[string, string, string[]]> = [
  ['AUTH PLAIN with an initial response', `AUTH PLAIN ${PLAIN}\n`, []],
  ['lower case', `auth plain ${PLAIN}\n`, []],
  ['tabs between the words', `AUTH\tPLAIN\t${PLAIN}\n`, []],
  ['AUTH PLAIN, then the response to its empty 334', `AUTH PLAIN\n${PLAIN}\n`, []],
  ['the LOGIN exchange: user name and password answering 334s', `AUTH LOGIN\n${USER}\n${PASS}\n`, []],
  ['LOGIN with the user name as initial response', `AUTH LOGIN ${USER}\n${PASS}\n`, []],
  [':raw AUTH PLAIN', `:raw AUTH PLAIN ${PLAIN}\\r\\n\n`, []],
  [':raw LOGIN exchange', `:raw AUTH LOGIN\\r\\n\n:raw ${USER}\\r\\n\n:raw ${PASS}\\r\\n\n`, []],
  ['AUTH PLAIN in a pipelined group', `RSET\nAUTH PLAIN ${PLAIN}\n`, ['--pipeline']],
  ['the LOGIN exchange with --pipeline', `RSET\nAUTH LOGIN\n${USER}\n${PASS}\n`, ['--pipeline']],
];

describe('AUTH typed in a session is never recorded in clear', () => {
  it.each(variants)('%s: screen, JSONL transcript, text transcript, --json', async (name, script, extra) => {
    const slug = name.replace(/\W+/g, '-');
    const jsonl = join(dir, `${slug}.jsonl`);
    const text = join(dir, `${slug}.txt`);
    const [shown, summary] = await Promise.all([
      runCli(['session', `127.0.0.1:${server.port}`, ...extra, '--transcript', jsonl], { stdin: script }),
      runCli(['session', `127.0.0.1:${server.port}`, ...extra, '--json', '--transcript', text], { stdin: script }),
    ]);
    expect(shown.code).toBe(0);
    expect(summary.code).toBe(0);
    const outputs = { stdout: shown.stdout, json: summary.stdout, jsonl: readFileSync(jsonl, 'utf8'), text: readFileSync(text, 'utf8') };
    for (const [where, output] of Object.entries(outputs)) {
      for (const secret of SECRETS) expect(output, `${secret} in ${where}`).not.toContain(secret);
    }
    expect(shown.stdout).toContain('[redacted]');
    expect(outputs.jsonl).toContain('"redacted":true');
    expect(JSON.parse(summary.stdout).replies).toContainEqual(expect.objectContaining({ code: 235 }));
    // The wire is untouched: the server got the secret.
    const wire = server.connections.at(-1)!.text();
    for (const secret of [PLAIN, USER, PASS]) if (script.includes(secret)) expect(wire).toContain(secret);
  });

  it('--show-secrets shows them', async () => {
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--show-secrets'], { stdin: `AUTH LOGIN\n${USER}\n${PASS}\n` });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(` -> ${USER}␍␊`);
    expect(result.stdout).toContain(` -> ${PASS}␍␊`);
  });
});

describe('credentials in clear only to this machine, decided on the address connected to', () => {
  it('a loopback address written as a number is this machine: --auth goes ahead in plain text', async () => {
    // 2130706433 is 127.0.0.1; the old test on the typed name ("127." or "localhost") refused it.
    const result = await runCli(['session', `2130706433:${server.port}`, '--plain', '--auth', 'plain', '--user', 'bob', '--quit-after', 'auth'], { env: { SMTPDBG_PASSWORD: 'hunter2' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('connected to 2130706433:');
    expect(result.stdout).toContain('(127.0.0.1)');
    expect(result.stdout).toContain('AUTH PLAIN [redacted]');
  });
});
