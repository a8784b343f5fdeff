/**
 * Proves the test harness itself: the certificates fail verification for the reasons
 * their names promise, the harness's Postfix really accepts, delivers and rejects what
 * Postfix 3.7 was measured to do, STARTTLS works against both real peers, and the raw server and the CLI
 * runner do what the other tests rely on.
 */
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_NAMES } from '../harness/postfix.js';
import { describePostfix } from '../harness/postfix-context.js';
import { connectRaw, startRawServer, waitFor, type RawClient, type RawServer } from '../harness/raw-server.js';
import { normalize, runCli } from '../harness/run-cli.js';
import { PEER_PASSWORD, PEER_USER, startSmtpServerPeer, type SmtpServerPeer } from '../harness/smtp-server-peer.js';

const CERTS = new URL('../../fixtures/certs/', import.meta.url);
const cert = (name: string): Buffer => readFileSync(new URL(name, CERTS));
const ca = cert('ca.pem');

/** Resolves with Node's verdict on `name`.pem when only ca.pem is trusted. */
async function verifyAgainstCa(name: string, servername: string | undefined): Promise<string> {
  const server = tls.createServer({ cert: cert(`${name}.pem`), key: cert(`${name}-key.pem`) }, (s) => s.end());
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    return await new Promise<string>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca, ...(servername ? { servername } : {}) }, () => {
        resolve(socket.authorized ? 'authorized' : String(socket.authorizationError));
        socket.destroy();
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
  } finally {
    server.close();
  }
}

/** RFC 3207: STARTTLS on a raw client whose EHLO is done; resolves with the TLS socket. */
async function startTls(client: RawClient, servername: string): Promise<tls.TLSSocket> {
  await client.send('STARTTLS\r\n');
  expect(await client.readReply()).toMatch(/^220 /);
  return new Promise((resolve, reject) => {
    const secure = tls.connect({ socket: client.socket, ca, servername }, () => resolve(secure));
    secure.once('error', reject);
  });
}

/** Minimal line-by-line SMTP over an established TLS socket. */
function tlsChat(socket: tls.TLSSocket): { send(line: string): void; reply(): Promise<string> } {
  let buffered = '';
  const waiters: Array<() => void> = [];
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('latin1');
    waiters.splice(0).forEach((wake) => wake());
  });
  const takeReply = (): string | undefined => {
    const match = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\n/.exec(buffered);
    if (!match) return undefined;
    buffered = buffered.slice(match[0].length);
    return match[0];
  };
  return {
    send: (line) => socket.write(`${line}\r\n`),
    reply: () => waitFor(() => takeReply(), 5_000, 'a reply over TLS'),
  };
}

describe('fixtures/certs, trusting only ca.pem', () => {
  // SNI 'none': connect to 127.0.0.1 without a servername, so the IP SAN is what counts.
  it.each([
    ['server', 'localhost', 'authorized'],
    ['server', 'mx.localhost', 'authorized'],
    ['server', 'none', 'authorized'],
    ['self-signed', 'localhost', 'DEPTH_ZERO_SELF_SIGNED_CERT'],
    ['expired', 'localhost', 'CERT_HAS_EXPIRED'],
    ['wrong-name', 'localhost', 'ERR_TLS_CERT_ALTNAME_INVALID'],
    ['wrong-name', 'none', 'ERR_TLS_CERT_ALTNAME_INVALID'],
  ])('%s.pem, SNI %s → %s', async (name, sni, expected) => {
    expect(await verifyAgainstCa(name, sni === 'none' ? undefined : sni)).toBe(expected);
  });

  it('client.pem is a CA-signed client certificate', () => {
    const client = new X509Certificate(cert('client.pem'));
    expect(client.checkIssued(new X509Certificate(ca))).toBe(true);
    expect(client.keyUsage).toContain('1.3.6.1.5.5.7.3.2');
    expect(client.checkPrivateKey(createPrivateKey(cert('client-key.pem')))).toBe(true);
  });
});

describePostfix('Postfix harness', (pf) => {
  it.each(SERVICE_NAMES)('the %s service answers with a 220 banner', async (service) => {
    const client = await connectRaw(pf.ports[service], pf.host);
    try {
      expect(await client.readReply()).toMatch(/^220 mx\.localhost ESMTP Postfix\r\n$/);
    } finally {
      client.close();
    }
  });

  it('delivers a message sent over a raw socket to /var/mail/testuser', async () => {
    const to = pf.uniqueRecipient();
    const subject = `harness ${randomBytes(4).toString('hex')}`;
    const client = await connectRaw(pf.ports.default, pf.host);
    try {
      expect(await client.readReply()).toMatch(/^220 /);
      const steps: Array<[string, RegExp]> = [
        ['EHLO harness.test\r\n', /^250-mx\.localhost\r\n[\s\S]*^250 /m],
        ['MAIL FROM:<sender@harness.test>\r\n', /^250 2\.1\.0 /],
        [`RCPT TO:<${to}>\r\n`, /^250 2\.1\.5 /],
        ['DATA\r\n', /^354 /],
        [`From: sender@harness.test\r\nSubject: ${subject}\r\n\r\nfirst line\r\n..dot-stuffed\r\n.\r\n`, /^250 2\.0\.0 Ok: queued as /],
        ['QUIT\r\n', /^221 /],
      ];
      for (const [command, expected] of steps) {
        await client.send(command);
        expect(await client.readReply()).toMatch(expected);
      }
    } finally {
      client.close();
    }
    const [message] = await pf.waitForMessages(1, 10_000, { to });
    const text = message!.toString('latin1');
    expect(pf.mailbox).toBe('/var/mail/testuser');
    expect(text).toMatch(/^From sender@harness\.test /);
    expect(text).toContain(`X-Original-To: ${to}\n`);
    expect(text).toContain(`Subject: ${subject}\n`);
    // Postfix unstuffs the dot and stores LF line ends in the mbox.
    expect(text).toContain('\n\nfirst line\n.dot-stuffed\n');
  });

  it('the reject service answers 550 5.5.2 to DATA with a bare LF, the default service accepts it', async () => {
    const data = 'Subject: bare LF\r\n\r\nline ended by a bare LF\nnext line\r\n.\r\n';
    const send = async (port: number): Promise<string> => {
      const client = await connectRaw(port, pf.host);
      try {
        await client.readReply();
        for (const command of ['EHLO harness.test\r\n', 'MAIL FROM:<sender@harness.test>\r\n', `RCPT TO:<${pf.uniqueRecipient()}>\r\n`, 'DATA\r\n']) {
          await client.send(command);
          await client.readReply();
        }
        await client.send(data);
        return await client.readReply();
      } finally {
        client.close();
      }
    };
    expect(await send(pf.ports.reject)).toMatch(/^550 5\.5\.2 .*bare <LF> received/);
    expect(await send(pf.ports.default)).toMatch(/^250 2\.0\.0 /);
  });

  it('offers STARTTLS and presents fixtures/certs/server.pem, verified against ca.pem', async () => {
    const client = await connectRaw(pf.ports.default, pf.host);
    try {
      await client.readReply();
      await client.send('EHLO harness.test\r\n');
      expect(await client.readReply()).toMatch(/^250-STARTTLS\r\n/m);
      const secure = await startTls(client, 'mx.localhost');
      expect(secure.authorized).toBe(true);
      expect(secure.getPeerX509Certificate()?.fingerprint256).toBe(new X509Certificate(cert('server.pem')).fingerprint256);
      const chat = tlsChat(secure);
      chat.send('EHLO harness.test');
      const ehlo = await chat.reply();
      expect(ehlo).toMatch(/^250-mx\.localhost/);
      // RFC 3207 §4.2: STARTTLS is not offered again once TLS is up.
      expect(ehlo).not.toContain('STARTTLS');
      chat.send('QUIT');
      expect(await chat.reply()).toMatch(/^221 /);
      secure.destroy();
    } finally {
      client.close();
    }
  });
});

describe('smtp-server peer', () => {
  let peer: SmtpServerPeer;
  beforeAll(async () => {
    peer = await startSmtpServerPeer();
  });
  afterAll(async () => {
    await peer.close();
  });

  const ehloAndStartTls = async (client: RawClient): Promise<ReturnType<typeof tlsChat>> => {
    expect(await client.readReply()).toMatch(/^220 peer\.localhost /);
    await client.send('EHLO harness.test\r\n');
    expect(await client.readReply()).toMatch(/^250[- ]STARTTLS\r\n/m);
    const secure = await startTls(client, 'localhost');
    expect(secure.authorized).toBe(true);
    const chat = tlsChat(secure);
    chat.send('EHLO harness.test');
    expect(await chat.reply()).toMatch(/^250[- ]AUTH PLAIN LOGIN\r\n/m);
    return chat;
  };

  it('refuses AUTH before STARTTLS', async () => {
    const client = await connectRaw(peer.port);
    try {
      await client.readReply();
      await client.send('EHLO harness.test\r\n');
      await client.readReply();
      await client.send(`AUTH PLAIN ${Buffer.from(`\0${PEER_USER}\0${PEER_PASSWORD}`).toString('base64')}\r\n`);
      expect(await client.readReply()).toMatch(/^538 /);
    } finally {
      client.close();
    }
  });

  it('accepts a message over STARTTLS after AUTH PLAIN and records its exact bytes', async () => {
    const client = await connectRaw(peer.port);
    try {
      const chat = await ehloAndStartTls(client);
      chat.send(`AUTH PLAIN ${Buffer.from(`\0${PEER_USER}\0${PEER_PASSWORD}`).toString('base64')}`);
      expect(await chat.reply()).toMatch(/^235 2\.7\.0 /);
      chat.send('MAIL FROM:<alice@harness.test>');
      expect(await chat.reply()).toMatch(/^250 /);
      chat.send('RCPT TO:<bob@harness.test>');
      expect(await chat.reply()).toMatch(/^250 /);
      chat.send('DATA');
      expect(await chat.reply()).toMatch(/^354 /);
      chat.send('Subject: peer\r\n\r\nbare CR\rhere\r\n..stuffed\r\n.');
      expect(await chat.reply()).toMatch(/^250 /);
      chat.send('QUIT');
      await chat.reply();
    } finally {
      client.close();
    }
    const [message] = await peer.waitForMessages(1);
    expect(message!.raw.toString('latin1')).toBe('Subject: peer\r\n\r\nbare CR\rhere\r\n.stuffed\r\n');
    expect(message).toMatchObject({ mailFrom: 'alice@harness.test', rcptTo: ['bob@harness.test'], user: PEER_USER, secure: true, ehloName: 'harness.test' });
  });

  it.each([
    ['PLAIN with a wrong password', (chat: ReturnType<typeof tlsChat>) => chat.send(`AUTH PLAIN ${Buffer.from(`\0${PEER_USER}\0nope`).toString('base64')}`)],
    ['LOGIN with a wrong user', (chat: ReturnType<typeof tlsChat>) => {
      chat.send('AUTH LOGIN');
      chat.send(Buffer.from('mallory').toString('base64'));
      chat.send(Buffer.from(PEER_PASSWORD).toString('base64'));
    }],
  ])('answers 535 5.7.8 to AUTH %s', async (_, authenticate) => {
    const client = await connectRaw(peer.port);
    try {
      const chat = await ehloAndStartTls(client);
      authenticate(chat);
      let reply = await chat.reply();
      while (reply.startsWith('334')) reply = await chat.reply();
      expect(reply).toMatch(/^535 5\.7\.8 /);
    } finally {
      client.close();
    }
  });
});

describe('raw server', () => {
  let server: RawServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it('records every byte per connection and scripts replies line by line', async () => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 raw\r\n');
      const line = await conn.nextLine();
      socket.write(`250 got ${line.length} bytes\r\n`);
    });
    const client = await connectRaw(server.port);
    expect(await client.readReply()).toBe('220 raw\r\n');
    await client.send('EHLO a\r\n');
    expect(await client.readReply()).toBe('250 got 8 bytes\r\n');
    await client.send(Buffer.from([0x00, 0xff, 0x0d]));
    await waitFor(() => server!.connections[0]!.received.length === 11);
    expect(server.connections[0]!.received).toEqual(Buffer.concat([Buffer.from('EHLO a\r\n'), Buffer.from([0x00, 0xff, 0x0d])]));
    client.close();
  });

  it('close() destroys connections that are still open, so the client sees the end', async () => {
    server = await startRawServer(() => {
      // Never answers: the hostile "no banner" server.
    });
    const client = await connectRaw(server.port);
    await server.waitForConnections(1);
    const started = Date.now();
    await server.close();
    server = undefined;
    await client.waitForClose(2_000);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('run-cli', () => {
  it('normalize() strips ANSI and replaces ports, times and durations', () => {
    const text = '\x1b[2m=== 05:43:03.120\x1b[22m connected to 127.0.0.1:41234 in 12 ms {"t":153.2} Date: Mon, 23 Nov 2026 05:43:03 +0000 port 41234';
    expect(normalize(text, { ports: [41234] })).toBe(
      '=== <TIME> connected to 127.0.0.1:<PORT> in <DURATION> {"t":<T>} Date: <TIME> port <PORT>',
    );
  });

  it('runs the built bin and reports its exit code and output', async () => {
    const result = await runCli(['--version'], { timeoutMs: 10_000 });
    expect(result).toMatchObject({ code: 0, timedOut: false });
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
