import { Chalk } from 'chalk';
import { render } from 'ink-testing-library';
import type { Socket } from 'node:net';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedServer, type EmbeddedServer } from '../../../src/session/embedded.js';
import { TlsMode, type SessionSettings } from '../../../src/session/smtp-session.js';
import { EventStream } from '../../../src/transcript/events.js';
import { App } from '../../../src/ui/interactive/app.js';
import { InteractiveController, type InteractiveOptions } from '../../../src/ui/interactive/controller.js';
import { startRawServer, waitFor, type RawConnection, type RawServer } from '../../harness/raw-server.js';

const chalk = new Chalk({ level: 1 });
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function settingsFor(host: string, port: number, tlsMode: SessionSettings['tlsMode'] = TlsMode.plain): SessionSettings {
  return {
    target: { host, port },
    timeoutMs: 5_000,
    tlsMode,
    tls: { servername: null, verifyName: host },
    strictTls: false,
    insecure: false,
    ehloName: 'tester',
    showSecrets: false,
    events: new EventStream(),
  };
}

/** Renders the app against a server, starts the conversation, and gives helpers to drive it. */
function startUi(settings: SessionSettings, extra: Partial<InteractiveOptions> = {}, env: NodeJS.ProcessEnv = {}) {
  const controller = new InteractiveController({ settings, embedded: false, ...extra }, { env });
  const ui = render(<App controller={controller} chalk={chalk} />);
  cleanups.push(() => ui.unmount());
  void controller.start();
  const frame = () => ui.lastFrame() ?? '';
  const text = () => stripVTControlCharacters(frame());
  return {
    controller,
    frame,
    text,
    /** Types a line the way a terminal delivers keys: the characters, then Enter. */
    type: async (line: string) => {
      ui.stdin.write(line);
      await tick();
      ui.stdin.write('\r');
      await tick();
    },
    key: async (sequence: string) => {
      ui.stdin.write(sequence);
      await tick();
    },
    /** Waits for the screen to show `what`; strings are looked for across wrapped lines. */
    until: async (what: string | RegExp, timeoutMs = 10_000) => {
      const shown = () => (typeof what === 'string' ? text().replace(/\n/g, '').includes(what) : what.test(text()));
      try {
        await waitFor(shown, timeoutMs);
      } catch {
        throw new Error(`the screen did not show ${String(what)} within ${timeoutMs} ms:\n${text()}`);
      }
    },
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

/** Resolves with the exit code, or fails the test when it takes longer than `ms`. */
async function exitWithin(controller: InteractiveController, ms: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no exit within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([controller.finished, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A small scripted SMTP server: answers each received line with `answer(line)`, which may close. */
async function scriptedServer(answer: (line: string, socket: Socket, conn: RawConnection) => string | undefined | 'close'): Promise<RawServer> {
  const server = await startRawServer(async (socket, conn) => {
    socket.write('220 raw.test ESMTP ready\r\n');
    for (;;) {
      const line = (await conn.nextLine(10_000)).toString('latin1');
      const reply = answer(line.replace(/\r?\n$/, ''), socket, conn);
      if (reply === 'close') return void socket.end();
      // After QUIT a server closes (RFC 5321 §4.1.1.10); the client then has nothing to wait for.
      if (/^QUIT$/i.test(line.trim())) return void socket.end(reply ?? '');
      if (reply !== undefined) socket.write(reply);
    }
  });
  cleanups.push(() => server.close());
  return server;
}

const ehloReply = '250-raw.test\r\n250-AUTH PLAIN LOGIN\r\n250 ENHANCEDSTATUSCODES\r\n';

describe('interactive session against a raw server', () => {
  it('shows the banner, sends typed lines with CRLF (or the :term terminator), colours and explains replies', async () => {
    const server = await scriptedServer((line) => {
      if (line.startsWith('EHLO')) return ehloReply;
      if (line.startsWith('MAIL')) return '550 5.7.1 Sender rejected\r\n';
      if (line.startsWith('RCPT')) return '451 Try again later\r\n';
      if (line.startsWith('NOOP')) return '250 2.0.0 Ok\r\n';
      if (line.startsWith('QUIT')) return '221 2.0.0 Bye\r\n';
      return '500 5.5.1 What?\r\n';
    });
    const ui = startUi(settingsFor(server.host, server.port));
    await ui.until('220 raw.test ESMTP ready');
    await ui.until(/smtp>/);

    await ui.type('MAIL FROM:<a@example.org>');
    await ui.until('550 5.7.1 Sender rejected');
    // Red for 5xx, and the enhanced code in words under it.
    expect(ui.frame()).toContain(`${chalk.red('550 5.7.1 Sender rejected')}`);
    await ui.until('5.7.1: permanent failure: delivery not authorized, message refused');

    await ui.type('RCPT TO:<b@example.org>');
    await ui.until('451: local error in processing');
    expect(ui.frame()).toContain(chalk.yellow('451 Try again later'));

    await ui.type(':term lf');
    await ui.until('typed lines now end with LF');
    await ui.until(/term LF/);
    await ui.type('NOOP');
    await ui.until('250 2.0.0 Ok');
    expect(ui.frame()).toContain(chalk.green('250 2.0.0 Ok'));

    const received = server.connections[0]!.text();
    expect(received).toContain('MAIL FROM:<a@example.org>\r\n');
    expect(received).toContain('\r\nNOOP\n');
    // The bare LF we sent is flagged on screen; the CRLFs are dimmed.
    expect(ui.text()).toContain(' -> NOOP␊');
    expect(ui.frame()).toContain(chalk.bgRed.white.bold('␊'));
    expect(ui.frame()).toContain(chalk.dim('␍␊'));

    await ui.type(':quit');
    // A 4xx/5xx came back during the session: exit 1.
    expect(await exitWithin(ui.controller, 10_000)).toBe(1);
    await ui.until('221 2.0.0 Bye');
    await ui.until('session ended (exit 1)');
  });

  it('shows a line sent with :term cr at once, not when (or if) the reply comes', async () => {
    const server = await scriptedServer((line) => (line.startsWith('EHLO') ? ehloReply : undefined));
    const ui = startUi(settingsFor(server.host, server.port));
    await ui.until(/smtp>/);
    await ui.type(':term cr');
    await ui.until('typed lines now end with CR');
    const typed = Date.now();
    await ui.type('NOOP');
    // The server waits for an LF that never comes; the screen shows what went out meanwhile.
    await ui.until(' -> NOOP␍', 2_000);
    expect(Date.now() - typed).toBeLessThan(2_000);
    await waitFor(() => server.connections[0]?.text().endsWith('NOOP\r'), 2_000);
  });

  it('decodes 334 challenges, points out one that is not base64, masks the password, and exits 3 at once when the server closes after 535', async () => {
    const server = await scriptedServer((line) => {
      if (line.startsWith('EHLO')) return ehloReply;
      if (line === 'AUTH LOGIN') return '334 VXNlcm5hbWU6\r\n';
      if (line === Buffer.from('bob').toString('base64')) return '334 Password please\r\n';
      return '535 5.7.8 Authentication failed\r\n';
    });
    const ui = startUi(settingsFor(server.host, server.port));
    await ui.until(/smtp>/);
    await ui.type(':auth login bob');
    await ui.until('Password for bob:');
    await ui.key('s3cret');
    await ui.until(/type the password \(not shown\)/);
    // Nothing echoes, not even its length (as ssh and sudo do).
    expect(ui.text()).toMatch(/Password for bob: ?\n|Password for bob: ?$/m);
    expect(ui.text()).not.toMatch(/Password for bob: *\*/);
    expect(ui.text()).not.toContain('s3cret');
    // Hang up right after the 535: the client must not wait for a reply that never comes.
    const closeAfter535 = waitFor(() => server.connections[0]!.text().includes(Buffer.from('s3cret').toString('base64')), 3_000).then(() => {
      setTimeout(() => server.connections[0]!.socket.destroy(), 50);
    });
    await ui.key('\r');
    await closeAfter535;

    await ui.until('334 challenge decoded: "Username:"');
    await ui.until('334 challenge is not base64 (RFC 4954 §4): "Password please"');
    const started = Date.now();
    expect(await exitWithin(ui.controller, 10_000)).toBe(3);
    expect(Date.now() - started).toBeLessThan(1_500);
    await ui.until('server closed the connection after 535 5.7.8 Authentication failed');
    await ui.until('5.7.8: permanent failure: authentication credentials invalid');
    // The close the user did not ask for is an error line, not information.
    expect(ui.text()).toMatch(/\*\*\* connection closed \(by the server\): server closed the connection after 535/);
    expect(server.connections[0]!.text()).not.toContain('QUIT');
  });

  it('authenticates from --auth with SMTPDBG_PASSWORD during the opening and reports the close after 535', async () => {
    const server = await startRawServer(async (socket, conn) => {
      socket.write('220 raw.test ESMTP\r\n');
      await conn.nextLine();
      socket.write(ehloReply);
      await conn.nextLine();
      socket.end('535 5.7.8 Authentication failed\r\n');
    });
    cleanups.push(() => server.close());
    const ui = startUi(
      settingsFor(server.host, server.port),
      { auth: { mechanism: 'PLAIN', user: 'bob', password: () => Promise.reject(new Error('the terminal prompt must not be used')) } },
      { SMTPDBG_PASSWORD: 'pw' },
    );
    expect(await exitWithin(ui.controller, 10_000)).toBe(3);
    await ui.until('AUTH PLAIN [redacted]');
    await ui.until('server closed the connection after 535 5.7.8 Authentication failed');
    expect(server.connections[0]!.text()).toContain(`AUTH PLAIN ${Buffer.from('\0bob\0pw').toString('base64')}\r\n`);
  });

  it('recalls earlier lines with the up arrow, edits with left/right, and Ctrl-C sends QUIT and exits 0', async () => {
    const server = await scriptedServer((line) => {
      if (line.startsWith('EHLO')) return ehloReply;
      if (line === 'QUIT') return '221 Bye\r\n';
      return '250 Ok\r\n';
    });
    const ui = startUi(settingsFor(server.host, server.port));
    await ui.until(/smtp>/);
    await ui.type('NOOP');
    await ui.type('HELP');
    await waitFor(() => server.connections[0]!.text().includes('HELP\r\n'), 3_000);
    await ui.key('\x1b[A');
    await ui.key('\x1b[A');
    await ui.until('smtp> NOOP');
    // Left twice, then type: the text goes in before the cursor.
    await ui.key('\x1b[D');
    await ui.key('\x1b[D');
    await ui.key('X');
    await ui.until('smtp> NOXOP');
    await ui.key('\r');
    await waitFor(() => server.connections[0]!.text().includes('NOXOP\r\n'), 3_000);
    await ui.until(/<- {2}250 Ok␍␊[\s\S]*<- {2}250 Ok␍␊[\s\S]*<- {2}250 Ok␍␊/);
    await ui.key('\x03');
    expect(await exitWithin(ui.controller, 10_000)).toBe(0);
    expect(server.connections[0]!.text()).toMatch(/NOXOP\r\nQUIT\r\n$/);
  });

  it('Ctrl-C at the password prompt gives up the AUTH and leaves with QUIT', async () => {
    const server = await scriptedServer((line) => (line.startsWith('EHLO') ? ehloReply : line === 'QUIT' ? '221 Bye\r\n' : '500 no\r\n'));
    const ui = startUi(settingsFor(server.host, server.port));
    await ui.until(/smtp>/);
    await ui.type(':auth plain bob');
    await ui.until('Password for bob:');
    await ui.key('\x03');
    expect(await exitWithin(ui.controller, 10_000)).toBe(0);
    await ui.until('password prompt interrupted');
    expect(server.connections[0]!.text()).toMatch(/^EHLO tester\r\nQUIT\r\n$/);
  });

  it('in DATA every typed line is content, even one starting with ":", until the lone dot', async () => {
    const server = await scriptedServer((line) => {
      if (line.startsWith('EHLO')) return ehloReply;
      if (line === 'DATA') return '354 go ahead\r\n';
      if (line === '.') return '250 2.0.0 queued\r\n';
      if (line === 'QUIT') return '221 Bye\r\n';
      return undefined;
    });
    const ui = startUi(settingsFor(server.host, server.port));
    await ui.until(/smtp>/);
    await ui.type('DATA');
    await ui.until(/data>/);
    await ui.until('DATA: end with a line holding only "."');
    await ui.type('Subject: hi');
    await ui.type(':quit is text here');
    await ui.type('.');
    await ui.until('250 2.0.0 queued');
    await ui.until(/smtp>/);
    await ui.type(':quit');
    expect(await exitWithin(ui.controller, 10_000)).toBe(0);
    expect(server.connections[0]!.text()).toContain('DATA\r\nSubject: hi\r\n:quit is text here\r\n.\r\nQUIT\r\n');
  });

  it('keeps lines typed while a reply is awaited and sends them in order', async () => {
    let release: (() => void) | undefined;
    const server = await scriptedServer((line, socket) => {
      if (line.startsWith('EHLO')) return ehloReply;
      if (line === 'SLOW') {
        release = () => socket.write('250 slow done\r\n');
        return undefined;
      }
      return `250 ${line} done\r\n`;
    });
    const ui = startUi(settingsFor(server.host, server.port));
    await ui.until(/smtp>/);
    await ui.type('SLOW');
    await ui.type('FAST');
    await ui.until('1 typed line waiting');
    expect(server.connections[0]!.text()).not.toContain('FAST');
    await waitFor(() => release, 3_000);
    release!();
    await ui.until('250 FAST done');
    expect(server.connections[0]!.text()).toMatch(/SLOW\r\nFAST\r\n$/);
  });

  it('Ctrl-C while a silent server keeps the banner back closes at once and exits 3', async () => {
    const server = await startRawServer(() => undefined);
    cleanups.push(() => server.close());
    const ui = startUi(settingsFor(server.host, server.port));
    await ui.until('opening…');
    await ui.key('\x03');
    expect(await exitWithin(ui.controller, 1_000)).toBe(3);
    await ui.until('connection closed (by us): interrupted by the user');
  });

  it('exits 3 with the reason when nothing listens', async () => {
    const server = await startRawServer(() => undefined);
    const port = server.port;
    await server.close();
    const ui = startUi(settingsFor('127.0.0.1', port));
    expect(await exitWithin(ui.controller, 10_000)).toBe(3);
    await ui.until(`connection to 127.0.0.1:${port} refused`);
  });
});

describe('interactive session against the embedded capture server', () => {
  let embedded: EmbeddedServer;
  const startEmbedded = async () => {
    embedded = await startEmbeddedServer();
    cleanups.push(() => embedded.server.close());
    return embedded;
  };

  it('upgrades with STARTTLS and shows the protocol, cipher and a passed verification in the status line', async () => {
    const { target, ca } = await startEmbedded();
    const settings = settingsFor(target.host, target.port, TlsMode.starttls);
    settings.tls.ca = ca!;
    const ui = startUi(settings);
    await ui.until(/TLSv1\.[23] \S+ │ verify ok │ last 250 │ term CRLF │ ready/, 5_000);
    await ui.type('NOOP');
    await ui.until(' ~> NOOP␍␊');
    await ui.type(':quit');
    expect(await exitWithin(ui.controller, 10_000)).toBe(0);
  });

  it('shows a failed verification as a loud red warning and in the status line', async () => {
    const { target } = await startEmbedded();
    const ui = startUi(settingsFor(target.host, target.port, TlsMode.starttls));
    await ui.until(/verify FAILED: /, 5_000);
    await ui.until('certificate verification FAILED');
    expect(ui.frame()).toMatch(/\x1b\[41m[^\n]*certificate verification FAILED/);
    // No credentials over a connection that failed verification: refused, and the session goes on.
    await ui.type(':auth plain bob');
    await ui.until('refusing to send credentials');
    await ui.type(':quit');
    expect(await exitWithin(ui.controller, 10_000)).toBe(3);
  });
});

describe('interactive session: timeouts and secrets', () => {
  it('a reply timeout is reported, the session goes on, and the late reply is shown as the reply to the timed-out command', async () => {
    let noops = 0;
    let held: Socket | undefined;
    const server = await scriptedServer((line, socket) => {
      if (line.startsWith('EHLO')) return ehloReply;
      if (line.startsWith('NOOP')) {
        noops++;
        // The first NOOP gets no answer in time; its reply comes just before the RSET's.
        if (noops === 1) {
          held = socket;
          return undefined;
        }
      }
      if (line.startsWith('RSET')) {
        held?.write('250 2.0.0 first noop ok\r\n');
        return '250 2.0.0 rset ok\r\n';
      }
      if (line.startsWith('QUIT')) return '221 2.0.0 Bye\r\n';
      return '500 5.5.1 What?\r\n';
    });
    const settings = settingsFor(server.host, server.port);
    settings.timeoutMs = 700;
    const ui = startUi(settings);
    await ui.until(/smtp>/);
    await ui.type('NOOP');
    await ui.until('timed out after 700 ms waiting for the reply to NOOP');
    await ui.until('the connection stays open: if the reply to NOOP comes later, it is shown as a late reply');
    await ui.until(/ready/);
    await ui.type('RSET');
    await ui.until('250 2.0.0 rset ok');
    await ui.until('late reply 250 2.0.0 first noop ok: the reply to NOOP, whose wait had timed out');
    expect(ui.controller.getSnapshot().phase).not.toBe('ended');
    await ui.type(':quit');
    // The timeout counts at the end as the failure it was.
    expect(await exitWithin(ui.controller, 10_000)).toBe(3);
    expect(server.connections).toHaveLength(1);
  });

  it('echoes a typed :raw AUTH PLAIN line with its payload redacted', async () => {
    const payload = Buffer.from('\0bob\0hunter2').toString('base64');
    const server = await scriptedServer((line) => {
      if (line.startsWith('EHLO')) return ehloReply;
      if (line.startsWith('AUTH')) return '235 2.7.0 Authentication successful\r\n';
      if (line.startsWith('QUIT')) return '221 2.0.0 Bye\r\n';
      return '500 5.5.1 What?\r\n';
    });
    const ui = startUi(settingsFor(server.host, server.port));
    await ui.until(/smtp>/);
    await ui.type(`:raw AUTH PLAIN ${payload}\\r\\n`);
    await ui.until('235 2.7.0 Authentication successful');
    expect(ui.text()).toContain(':raw AUTH PLAIN [redacted]');
    expect(ui.text()).not.toContain(payload);
    expect(server.connections[0]!.text()).toContain(`AUTH PLAIN ${payload}\r\n`);
    await ui.type(':quit');
    expect(await exitWithin(ui.controller, 10_000)).toBe(0);
  });

  it(':close hangs up without QUIT, :reconnect opens a new connection, and a typed DATA line starting with "." is stuffed with a note', async () => {
    const server = await scriptedServer((line) => {
      if (line.startsWith('EHLO')) return ehloReply;
      if (line.startsWith('NOOP')) return '250 2.0.0 Ok\r\n';
      if (line.startsWith('MAIL') || line.startsWith('RCPT')) return '250 2.0.0 Ok\r\n';
      if (line === 'DATA') return '354 go ahead\r\n';
      if (line === '.') return '250 2.0.0 queued\r\n';
      if (line.startsWith('QUIT')) return '221 2.0.0 Bye\r\n';
      return undefined;
    });
    const ui = startUi(settingsFor(server.host, server.port));
    await ui.until(/smtp>/);
    await ui.type(':close');
    await ui.until('connection closed (by us): hung up without QUIT (:close)');
    await ui.type(':reconnect');
    await ui.until('reconnecting to');
    await server.waitForConnections(2);
    await ui.until(/ready/);
    for (const line of ['MAIL FROM:<a@example.org>', 'RCPT TO:<b@example.org>', 'DATA', '.hidden', '.']) await ui.type(line);
    await ui.until('250 2.0.0 queued');
    expect(ui.text().replace(/\n/g, '')).toContain('dot-stuffed: the line starts with "." so it went out as "..hidden"');
    await ui.type(':quit');
    expect(await exitWithin(ui.controller, 10_000)).toBe(0);
    expect(server.connections[0]!.text()).not.toContain('QUIT');
    expect(server.connections[1]!.text()).toContain('\r\n..hidden\r\n.\r\n');
  });
});
