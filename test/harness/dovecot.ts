/**
 * A real Dovecot (Debian's dovecot-imapd) on loopback for the IMAP tests: each call starts
 * its own instance from a configuration written to a temporary directory (IMAP with
 * STARTTLS and IMAPS, fixtures/certs/server.pem, one user with a Maildir), on free ports,
 * and stops it. Needs root (Dovecot drops to its own users); `.ci/run` installs it.
 *
 * `{ lmtp: true }` adds Dovecot's LMTP server (dovecot-lmtpd) on a TCP port and a Unix
 * socket (`lmtp.port`, `lmtp.path`): mail for the user (any domain) lands in its Maildir,
 * any other recipient gets `550 5.1.1 … User doesn't exist`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { access, chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const CERT_DIR = fileURLToPath(new URL('../../fixtures/certs/', import.meta.url));
const run = promisify(execFile);

export interface DovecotInstance {
  host: '127.0.0.1';
  /** IMAP with STARTTLS, and IMAPS (implicit TLS). */
  ports: { imap: number; imaps: number };
  /** With `{ lmtp: true }`: Dovecot's LMTP server on this TCP port and Unix socket. */
  lmtp: { port: number; path: string } | undefined;
  user: string;
  password: string;
  /** The user's Maildir (new/, cur/, tmp/), owned by the mail user. */
  maildir: string;
  /** uid and gid the Maildir belongs to. */
  owner: { uid: number; gid: number };
  stop(): Promise<void>;
}

export async function dovecotUnavailableReason(lmtp = false): Promise<string | undefined> {
  try {
    await run('dovecot', ['--version']);
  } catch {
    return 'dovecot is not installed (.ci/run installs dovecot-imapd)';
  }
  if (lmtp) {
    try {
      await access('/usr/lib/dovecot/lmtp');
    } catch {
      return 'Dovecot\'s LMTP server is not installed (.ci/run installs dovecot-lmtpd)';
    }
  }
  if (process.getuid?.() !== 0) return 'not running as root: Dovecot must start as root';
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dovecot exited with ${child.exitCode}: ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`dovecot did not listen on ${port} within ${timeoutMs} ms: ${log()}`);
    await sleep(50);
  }
}

/**
 * `maildir` names an existing Maildir to serve (Postfix's, owned by nobody); without it the
 * instance makes its own in its temporary directory.
 */
export async function startDovecot(options: { maildir?: string; lmtp?: boolean } = {}): Promise<DovecotInstance> {
  const dir = await mkdtemp(join(tmpdir(), 'smtpdbg-dovecot-'));
  // Dovecot's auth and mail processes run as other users: they must reach the files inside.
  await chmod(dir, 0o755);
  const user = 'reader';
  const password = 'imap-s3cret';
  // nobody owns the mail: Dovecot refuses to act as root for a user.
  const owner = { uid: 65534, gid: 65534 };
  const home = join(dir, 'home', user);
  const maildir = options.maildir ?? join(home, 'Maildir');
  await mkdir(home, { recursive: true });
  for (const sub of ['new', 'cur', 'tmp']) await mkdir(join(maildir, sub), { recursive: true });
  for (const path of [join(dir, 'home'), home, maildir, join(maildir, 'new'), join(maildir, 'cur'), join(maildir, 'tmp')]) await chown(path, owner.uid, owner.gid);
  const ports = { imap: await freePort(), imaps: await freePort() };
  const lmtp = options.lmtp ? { port: await freePort(), path: join(dir, 'run', 'lmtp') } : undefined;
  // LMTP recipients are full addresses: the user name is the part before the @, in any domain.
  const lmtpConfig = lmtp
    ? `
auth_username_format = %Ln
postmaster_address = postmaster@localhost
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${lmtp.port}
  }
}
`
    : '';
  await writeFile(join(dir, 'passwd'), `${user}:{PLAIN}${password}\n`);
  const config = `
base_dir = ${dir}/run
state_dir = ${dir}/state
listen = 127.0.0.1
protocols = imap${lmtp ? ' lmtp' : ''}
log_path = ${dir}/dovecot.log
ssl = yes
ssl_cert = <${CERT_DIR}server.pem
ssl_key = <${CERT_DIR}server-key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${owner.uid} gid=${owner.gid} home=${dir}/home/%u
}
mail_location = maildir:${maildir}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${ports.imap}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${ports.imaps}
    ssl = yes
  }
}
${lmtpConfig}`;
  await writeFile(join(dir, 'dovecot.conf'), config);
  await mkdir(join(dir, 'state'), { recursive: true });
  let output = '';
  const child = spawn('dovecot', ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await waitForPort(ports.imap, 15_000, child, () => output);
    await waitForPort(ports.imaps, 15_000, child, () => output);
    if (lmtp) await waitForPort(lmtp.port, 15_000, child, () => output);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    host: '127.0.0.1',
    ports,
    lmtp,
    user,
    password,
    maildir,
    owner,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(5_000)]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
