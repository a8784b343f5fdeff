/**
 * The interactive session (a real terminal, tmux) opens as a scripted one does: `--auth`
 * with any mechanism the client speaks, `--xclient` and `--xforward`. Peer: nodemailer's
 * smtp-server, which checks the CRAM-MD5 digest and records the XCLIENT attributes itself.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findTmux, startTerminal, type TmuxTerminal } from '../harness/tmux.js';
import { PEER_PASSWORD, PEER_USER, startSmtpServerPeer, type SmtpServerPeer } from '../harness/smtp-server-peer.js';

const open: TmuxTerminal[] = [];
let peer: SmtpServerPeer;
/** The XCLIENT ADDR smtp-server had taken when each AUTH came. */
const xclientAddr: Array<string | undefined> = [];

beforeAll(async () => {
  if (!(await findTmux())) throw new Error('tmux is not installed (.ci/run installs it): these tests need a real terminal');
  peer = await startSmtpServerPeer({
    allowInsecureAuth: true,
    options: {
      authMethods: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
      useXClient: true,
      onAuth(auth, session, callback) {
        const accepted = auth.username === PEER_USER && auth.method === 'CRAM-MD5' && auth.validatePassword(PEER_PASSWORD);
        peer.authAttempts.push({ method: auth.method, username: auth.username, accepted, secure: false });
        xclientAddr.push(session.xClient?.get('ADDR') as string | undefined);
        return accepted ? callback(null, { user: PEER_USER }) : callback(new Error('Error: Authentication credentials invalid'));
      },
    },
  });
});
afterAll(async () => {
  await peer.close();
});
afterEach(async () => {
  for (const terminal of open.splice(0)) await terminal.close();
});

describe('interactive session: --auth with every mechanism, --xclient', () => {
  it('--auth cram-md5 --xclient ADDR=…: XCLIENT, EHLO, the masked prompt, AUTH accepted; no secret on screen', async () => {
    peer.authAttempts.length = 0;
    xclientAddr.length = 0;
    const terminal = await startTerminal(['session', `127.0.0.1:${peer.port}`, '--plain', '--auth', 'cram-md5', '--user', PEER_USER, '--xclient', 'ADDR=192.0.2.7'], 160, 40);
    open.push(terminal);
    await terminal.until(new RegExp(`Password for ${PEER_USER}:`), 20_000);
    await terminal.type(PEER_PASSWORD);
    const screen = await terminal.until(/235 2\.7\.0[\s\S]*smtp>/, 20_000);
    expect(screen).toContain('-> XCLIENT ADDR=192.0.2.7');
    expect(screen).toContain('-> AUTH CRAM-MD5');
    expect(screen).toContain('[redacted]');
    expect(screen).not.toContain(PEER_PASSWORD);
    expect(peer.authAttempts).toEqual([expect.objectContaining({ method: 'CRAM-MD5', username: PEER_USER, accepted: true })]);
    expect(xclientAddr).toEqual(['192.0.2.7']);
    await terminal.type('QUIT');
    await terminal.until(/221/, 20_000);
  });

  it('--auth alone: the strongest offered (CRAM-MD5) is used and the line says so', async () => {
    peer.authAttempts.length = 0;
    const terminal = await startTerminal(['session', `127.0.0.1:${peer.port}`, '--plain', '--auth', '--user', PEER_USER], 160, 40);
    open.push(terminal);
    await terminal.until(new RegExp(`Password for ${PEER_USER}:`), 20_000);
    await terminal.type(PEER_PASSWORD);
    const screen = await terminal.until(/235 2\.7\.0[\s\S]*smtp>/, 20_000);
    expect(screen).toContain('--auth: using CRAM-MD5, the strongest of what the server offers (PLAIN LOGIN CRAM-MD5)');
    expect(screen).not.toContain(PEER_PASSWORD);
    expect(peer.authAttempts.map((a) => [a.method, a.accepted])).toEqual([['CRAM-MD5', true]]);
  });

  it('a typed :auth (no mechanism) takes --user, asks for the password, and picks CRAM-MD5', async () => {
    peer.authAttempts.length = 0;
    const terminal = await startTerminal(['session', `127.0.0.1:${peer.port}`, '--plain', '--user', PEER_USER], 160, 40);
    open.push(terminal);
    await terminal.until(/^smtp>/m, 20_000);
    await terminal.type(':auth');
    await terminal.until(new RegExp(`Password for ${PEER_USER}:`), 20_000);
    await terminal.type(PEER_PASSWORD);
    const screen = await terminal.until(/235 2\.7\.0[\s\S]*smtp>/, 20_000);
    expect(screen).toContain(':auth: using CRAM-MD5, the strongest of what the server offers (PLAIN LOGIN CRAM-MD5)');
    expect(screen).not.toContain(PEER_PASSWORD);
    expect(peer.authAttempts.map((a) => [a.method, a.username, a.accepted])).toEqual([['CRAM-MD5', PEER_USER, true]]);
  });
});

describe('interactive session: the misbehaviour options are for scripted sessions', () => {
  it('--close-after in a terminal: one line saying what to type instead, no prompt', async () => {
    const terminal = await startTerminal(['session', `127.0.0.1:${peer.port}`, '--plain', '--close-after', 'ehlo'], 160, 40);
    open.push(terminal);
    const screen = await terminal.until(/smtpdbg: --close-after/, 20_000);
    expect(screen).toContain('smtpdbg: --close-after is for scripted sessions (stdin not a terminal); interactively, type :close or :sleep MS');
    expect(screen).not.toContain('smtp>');
  });
});
