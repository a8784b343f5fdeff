/**
 * Real Postfix 3.7 on loopback, configured and started by the test harness itself.
 *
 * Who uses what:
 * - `test/harness/global-setup.ts` calls `postfixUnavailableReason()` and `startPostfix()`
 *   once per vitest run (in the main process) and hands the serialisable
 *   `PostfixProvided` to the test workers through `project.provide('postfix', …)`.
 * - Tests use `test/harness/postfix-context.ts` (`describePostfix`, `postfixOrSkip`),
 *   which turns that into a `PostfixEnv`:
 *
 *   ```ts
 *   interface PostfixEnv {
 *     host: '127.0.0.1';
 *     ports: { default: number; no: number; normalize: number; reject: number; pipelining: number; xclient: number };
 *     mailbox: '/var/mail/testuser';          // mbox, written by Postfix's local(8)
 *     recipient: 'testuser@example.test';
 *     logPath: string;                        // Postfix's maillog_file
 *     uniqueRecipient(tag?): string;          // testuser+<tag>@example.test, same mailbox
 *     readMailbox(): Promise<Buffer>;         // whole file, empty if not created yet
 *     readMessages(): Promise<Buffer[]>;      // the mbox split into messages
 *     clearMailbox(): Promise<void>;
 *     waitForMessages(n, timeoutMs, { to? }): Promise<Buffer[]>;
 *     readLog(): Promise<string>;
 *   }
 *   ```
 *
 * Services (all `127.0.0.1`, ports picked at run time):
 * - `default`:   stock smtpd, as a Postfix 3.7 site runs it (smtpd_forbid_bare_newline=no,
 *   with its default exclusion of $mynetworks, i.e. of every loopback client).
 * - `no`, `normalize`, `reject`: `-o smtpd_forbid_bare_newline=<that>` with
 *   `-o smtpd_forbid_bare_newline_exclusions=` empty, because the default exclusion
 *   ($mynetworks) would exempt the tests' loopback clients.
 * - `pipelining`: as `no`, plus `-o smtpd_data_restrictions=reject_unauth_pipelining`:
 *   a DATA that arrives with more bytes behind it gets 503, so a smuggled second
 *   transaction is refused while the first message still ends at the fake end of data.
 * - `xclient`: stock smtpd that offers XCLIENT and XFORWARD to 127.0.0.1
 *   (`smtpd_authorized_xclient_hosts`, `smtpd_authorized_xforward_hosts`); the others
 *   offer neither.
 * All of them offer STARTTLS with fixtures/certs/server.pem (security level `may`; copied
 * to /etc/postfix/smtpdbg/). The harness owns /etc/postfix/main.cf and master.cf: it
 * writes both whole (a foreign original is kept once as `<file>.before-smtpdbg`).
 *
 * Parallel test files share the one mailbox. Send to `uniqueRecipient()` and wait with
 * `{ to }`: local(8) stamps every delivery with `X-Original-To: <that address>`, so a
 * test only sees its own messages. `clearMailbox()` truncates the file under every other
 * test file's feet; use it only where nothing else can be delivering.
 *
 * Several vitest runs on one machine (engineers working in the same tree) would fight
 * over the single system Postfix, so starts and stops go through a lock and a lease per
 * run under /run/smtpdbg-postfix: a second run reuses the running instance, and only the
 * last run to finish stops it. A master left behind by a run that died is detected (no
 * live lease) and stopped before a fresh start.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, chown, copyFile, mkdir, readFile, readdir, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const POSTFIX_HOST = '127.0.0.1';
const TEST_USER = 'testuser';
const MAILBOX = `/var/mail/${TEST_USER}`;
const RECIPIENT = `${TEST_USER}@example.test`;
/**
 * Mail for any address @maildir.test goes to one Maildir through virtual(8), owned by
 * nobody so that the Dovecot harness (test/harness/dovecot.ts) can serve it over IMAP.
 */
const MAILDIR_BASE = '/var/mail/smtpdbg-virtual';
const MAILDIR = `${MAILDIR_BASE}/reader/Maildir`;
const MAILDIR_DOMAIN = 'maildir.test';
const MAILDIR_OWNER = 65534;
/**
 * Mail for @relay.test is passed on over SMTP to 127.0.0.1:RELAY_PORT, where a test listens
 * as the next hop (`inject --observe relay:…`). A fixed port, since Postfix's configuration
 * is shared by concurrent runs; only one test at a time may listen there.
 */
const RELAY_DOMAIN = 'relay.test';
const RELAY_PORT = 12526;
/**
 * Mail for @lmtp.test goes to 127.0.0.1:port over LMTP (Postfix's lmtp(8) client, RFC 2033),
 * and mail for @xforward.test over SMTP with XFORWARD (smtp_send_xforward_command = yes),
 * where a test listens (`serve --lmtp`, `serve --xclient`). Fixed ports, as for RELAY_PORT.
 */
export const LMTP_RELAY = { domain: 'lmtp.test', port: 12527 } as const;
export const XFORWARD_RELAY = { domain: 'xforward.test', port: 12528 } as const;
const LOG_PATH = '/var/log/smtpdbg-postfix.log';

const CONFIG_DIR = '/etc/postfix';
const STATE_DIR = '/run/smtpdbg-postfix';
const LOCK_DIR = path.join(STATE_DIR, 'lock');
const LEASE_DIR = path.join(STATE_DIR, 'leases');
const STATE_FILE = path.join(STATE_DIR, 'state.json');
const MARKER = '# Written by the smtpdbg test harness (test/harness/postfix.ts).';
const CERT_DIR = fileURLToPath(new URL('../../fixtures/certs/', import.meta.url));
/**
 * Postfix gets copies of the fixture certificate in a fixed place, so main.cf does not
 * depend on where the checkout lives and runs from two checkouts can share one instance.
 */
const TLS_DIR = path.join(CONFIG_DIR, 'smtpdbg');
const TLS_CERT = path.join(TLS_DIR, 'server.pem');
const TLS_KEY = path.join(TLS_DIR, 'server-key.pem');

const BANNER_TIMEOUT_MS = 15_000;
const START_ATTEMPTS = 3;

export const SERVICE_NAMES = ['default', 'no', 'normalize', 'reject', 'pipelining', 'xclient'] as const;
export type PostfixServiceName = (typeof SERVICE_NAMES)[number];
export type PostfixPorts = Record<PostfixServiceName, number>;

/** What global-setup provides to the workers: plain data, it crosses a process boundary. */
export type PostfixProvided =
  | {
      status: 'running';
      host: typeof POSTFIX_HOST;
      ports: PostfixPorts;
      mailbox: string;
      recipient: string;
      maildir: string;
      maildirDomain: string;
      relay: { domain: string; port: number };
      logPath: string;
    }
  | {
      status: 'unavailable';
      reason: string;
      /** CI=true: the Postfix tests must run, so an unavailable Postfix fails them. */
      required: boolean;
    };

declare module 'vitest' {
  export interface ProvidedContext {
    postfix: PostfixProvided;
  }
}

export interface PostfixInstance {
  host: typeof POSTFIX_HOST;
  ports: PostfixPorts;
  mailbox: string;
  recipient: string;
  /** The Maildir every address @maildirDomain is delivered to (new/, cur/, tmp/ made by Postfix). */
  maildir: string;
  maildirDomain: string;
  /** Mail for @domain goes to 127.0.0.1:port over SMTP. */
  relay: { domain: string; port: number };
  logPath: string;
  /** Whether this run started Postfix (false: it joined one started by a concurrent run). */
  started: boolean;
  /** Drops this run's lease; stops Postfix when no other run holds one. */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------- availability

/** The directories Debian puts postfix in are not on a non-root user's PATH. */
async function findExecutable(name: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      await access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

let postfixPath: Promise<string | undefined> | undefined;

/** `postfix`, looked up once: stopMaster runs `postfix status` every 100 ms. */
function findPostfix(): Promise<string | undefined> {
  return (postfixPath ??= findExecutable('postfix'));
}

/** Why Postfix cannot be used here, or undefined when it can be tried. */
export async function postfixUnavailableReason(): Promise<string | undefined> {
  // Several checkouts on one machine share its single Postfix: a developer running a
  // subset elsewhere turns the harness's Postfix off for that run (CI never sets this).
  if (process.env.SMTPDBG_TEST_POSTFIX === 'off') {
    return 'switched off for this run (SMTPDBG_TEST_POSTFIX=off)';
  }
  if (!(await findPostfix()) || !(await findExecutable('postconf'))) {
    return 'postfix is not installed (CI installs it: see .ci/run)';
  }
  if (process.getuid?.() !== 0) {
    return 'not running as root: the harness must write /etc/postfix and start master(8)';
  }
  return undefined;
}

// ---------------------------------------------------------------- commands

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr: stderr || (error && code === -1 ? error.message : '') });
    });
  });
}

async function postfixCommand(args: string[], timeoutMs?: number): Promise<RunResult> {
  const postfix = await findPostfix();
  if (!postfix) throw new Error('postfix is not installed');
  return run(postfix, args, timeoutMs);
}

async function masterRunning(): Promise<boolean> {
  return (await postfixCommand(['status'])).code === 0;
}

async function stopMaster(): Promise<void> {
  if (!(await masterRunning())) return;
  await postfixCommand(['stop']);
  // `postfix stop` signals master and returns; its listeners go away a moment later.
  const deadline = Date.now() + 10_000;
  while (await masterRunning()) {
    if (Date.now() > deadline) throw new Error('postfix stop: master(8) still running after 10 s');
    await sleep(100);
  }
}

async function ensureTestUser(): Promise<void> {
  if ((await run('id', ['-u', TEST_USER])).code === 0) return;
  const useradd = (await findExecutable('useradd')) ?? 'useradd';
  const result = await run(useradd, ['-m', TEST_USER]);
  // A concurrent run may have created it between the check and useradd (exit 9).
  if (result.code !== 0 && (await run('id', ['-u', TEST_USER])).code !== 0) {
    throw new Error(`useradd -m ${TEST_USER} failed: ${result.stderr.trim()}`);
  }
}

// ---------------------------------------------------------------- configuration

function renderMainCf(): string {
  return `${MARKER}
# Loopback only, never relays anywhere, delivers example.test to local mboxes.
compatibility_level = 3.6
myhostname = mx.localhost
myorigin = $myhostname
mydestination = localhost, mx.localhost, example.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
default_transport = error:no outbound
relay_transport = error:no outbound
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
biff = no
mailbox_command =
home_mailbox =
alias_maps =
alias_database =
recipient_delimiter = +
# Tests provoke errors on purpose; the default 1 s penalty would only slow them down.
smtpd_error_sleep_time = 0s
# Load tests must measure Postfix, not its back-pressure on the client.
in_flow_delay = 0s
smtpd_tls_cert_file = ${TLS_CERT}
smtpd_tls_key_file = ${TLS_KEY}
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
maillog_file = ${LOG_PATH}
# ${MAILDIR_DOMAIN}: every address into one Maildir (the trailing slash means Maildir).
virtual_mailbox_domains = ${MAILDIR_DOMAIN}
virtual_mailbox_base = ${MAILDIR_BASE}
virtual_mailbox_maps = static:reader/Maildir/
virtual_uid_maps = static:${MAILDIR_OWNER}
virtual_gid_maps = static:${MAILDIR_OWNER}
# ${RELAY_DOMAIN}: passed on to a test's listener (loopback only; every other domain still errors).
transport_maps = inline:{ ${RELAY_DOMAIN}=smtp:[127.0.0.1]:${RELAY_PORT}, ${LMTP_RELAY.domain}=lmtp:inet:127.0.0.1:${LMTP_RELAY.port}, ${XFORWARD_RELAY.domain}=xforward:[127.0.0.1]:${XFORWARD_RELAY.port} }
# A next hop that is not listening yet is tried again soon, not in minutes.
minimal_backoff_time = 1s
maximal_backoff_time = 2s
queue_run_delay = 1s
`;
}

/**
 * The whole master.cf, owned by the harness: every service chroot-free (Debian's file
 * chroots, and the chroot lacks what smtpd needs), no port 25, one smtpd per port.
 * Writing it whole rather than editing with `postconf -M` keeps runs from piling up
 * services on the ports of earlier runs.
 */
function renderMasterCf(ports: PostfixPorts): string {
  const smtpd = (service: PostfixServiceName, options: string[]): string =>
    [`${POSTFIX_HOST}:${ports[service]} inet n - n - - smtpd`, `  -o syslog_name=postfix/${service}`, ...options.map((o) => `  -o ${o}`)].join('\n');
  const forbid = (value: string): string[] => [`smtpd_forbid_bare_newline=${value}`, 'smtpd_forbid_bare_newline_exclusions='];
  return `${MARKER}
${smtpd('default', [])}
${smtpd('no', forbid('no'))}
${smtpd('normalize', forbid('normalize'))}
${smtpd('reject', forbid('reject'))}
${smtpd('pipelining', [...forbid('no'), 'smtpd_data_restrictions=reject_unauth_pipelining'])}
${smtpd('xclient', ['smtpd_authorized_xclient_hosts=127.0.0.1', 'smtpd_authorized_xforward_hosts=127.0.0.1'])}
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
xforward  unix  -       -       n       -       -       smtp
  -o syslog_name=postfix/xforward
  -o smtp_send_xforward_command=yes
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;
}

/**
 * Postfix commands run within ~2 s of a main.cf change stall for ~2.4 s (measured on Debian 12), so
 * the files are dated 10 s back. A pre-existing, foreign config is kept once as
 * `<file>.before-smtpdbg`.
 */
async function writeConfig(file: string, text: string): Promise<void> {
  const target = path.join(CONFIG_DIR, file);
  const existing = await readFile(target, 'utf8').catch(() => undefined);
  if (existing !== undefined && !existing.startsWith(MARKER)) {
    const backup = `${target}.before-smtpdbg`;
    await access(backup).catch(() => copyFile(target, backup));
  }
  await writeFile(target, text);
  const past = new Date(Date.now() - 10_000);
  await utimes(target, past, past);
}

/** Free loopback ports: bind port 0, read it, close. Postfix binds them a moment later. */
async function pickFreePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, POSTFIX_HOST, () => resolve(server));
    })),
  );
  // Held open together so the kernel cannot hand out the same port twice.
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

// ---------------------------------------------------------------- readiness

/** Resolves with the first reply line once the server on `port` has sent a 220 banner. */
export async function waitForBanner(port: number, timeoutMs = BANNER_TIMEOUT_MS): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no attempt';
  while (Date.now() < deadline) {
    try {
      return await readBanner(port, Math.max(deadline - Date.now(), 100));
    } catch (error) {
      lastError = (error as Error).message;
      await sleep(100);
    }
  }
  throw new Error(`no 220 banner on ${POSTFIX_HOST}:${port} within ${timeoutMs} ms (${lastError})`);
}

function readBanner(port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: POSTFIX_HOST, port });
    let received = '';
    const fail = (message: string): void => {
      socket.destroy();
      reject(new Error(message));
    };
    socket.setTimeout(timeoutMs, () => fail('timed out waiting for the banner'));
    socket.on('error', (error) => fail(error.message));
    socket.on('close', () => fail(`closed before a banner; got ${JSON.stringify(received)}`));
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n');
      if (end === -1) return;
      const line = received.slice(0, end);
      socket.removeAllListeners('close');
      if (!line.startsWith('220')) return fail(`unexpected banner ${JSON.stringify(line)}`);
      socket.end('QUIT\r\n');
      resolve(line);
    });
  });
}

async function allAnswer(ports: PostfixPorts, timeoutMs: number): Promise<boolean> {
  try {
    await Promise.all(SERVICE_NAMES.map((name) => waitForBanner(ports[name], timeoutMs)));
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- lock and leases

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** mkdir is atomic, so it is the lock; the owner's pid inside lets a dead owner's lock be broken. */
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  await mkdir(STATE_DIR, { recursive: true });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await mkdir(LOCK_DIR);
      await writeFile(path.join(LOCK_DIR, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(path.join(LOCK_DIR, 'pid'), 'utf8').catch(() => 'NaN'));
      // No pid yet means the owner is between mkdir and writeFile; only a dead owner is broken.
      if (Number.isInteger(owner) && !processAlive(owner)) {
        await rm(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${LOCK_DIR} held by pid ${owner} for 60 s`);
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(LOCK_DIR, { recursive: true, force: true });
  }
}

async function liveLeases(): Promise<number[]> {
  await mkdir(LEASE_DIR, { recursive: true });
  const live: number[] = [];
  for (const name of await readdir(LEASE_DIR)) {
    const pid = Number(name);
    if (Number.isInteger(pid) && processAlive(pid)) live.push(pid);
    else await rm(path.join(LEASE_DIR, name), { force: true });
  }
  return live;
}

interface State {
  ports: PostfixPorts;
  configHash: string;
}

const hash = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

async function readState(): Promise<State | undefined> {
  try {
    return JSON.parse(await readFile(STATE_FILE, 'utf8')) as State;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- start / stop

async function logTail(lines = 30): Promise<string> {
  const text = await readFile(LOG_PATH, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines - 1).join('\n');
}

interface Config {
  mainCf: string;
  cert: Buffer;
  key: Buffer;
  /** Identifies everything a run needs from a running instance, except the ports. */
  hash: string;
}

async function loadConfig(): Promise<Config> {
  const mainCf = renderMainCf();
  const cert = await readFile(path.join(CERT_DIR, 'server.pem'));
  const key = await readFile(path.join(CERT_DIR, 'server-key.pem'));
  // The services are part of what a run needs: a run that knows other services than the
  // running instance must restart it rather than join it with ports it cannot name.
  const services = renderMasterCf(Object.fromEntries(SERVICE_NAMES.map((name) => [name, 0])) as PostfixPorts);
  return { mainCf, cert, key, hash: hash(Buffer.concat([Buffer.from(mainCf), Buffer.from(services), cert, key])) };
}

async function freshStart(config: Config): Promise<PostfixPorts> {
  await stopMaster();
  await mkdir(TLS_DIR, { recursive: true });
  await writeFile(TLS_CERT, config.cert);
  await writeFile(TLS_KEY, config.key, { mode: 0o600 });
  await writeConfig('main.cf', config.mainCf);
  await writeFile(LOG_PATH, '');
  let failure = '';
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const picked = await pickFreePorts(SERVICE_NAMES.length);
    const ports = Object.fromEntries(SERVICE_NAMES.map((name, i) => [name, picked[i]!])) as PostfixPorts;
    await writeConfig('master.cf', renderMasterCf(ports));
    const started = await postfixCommand(['start'], 30_000);
    if (started.code === 0 && (await allAnswer(ports, BANNER_TIMEOUT_MS))) {
      // The queue and mailbox of an earlier run would only confuse this one. postsuper
      // runs now rather than before the start because, with maillog_file set and no
      // postlogd listening, each of its log lines waits ~1 s for the logger.
      await run((await findExecutable('postsuper')) ?? 'postsuper', ['-d', 'ALL']);
      await rm(MAILBOX, { force: true });
      await rm(MAILDIR_BASE, { recursive: true, force: true });
      await mkdir(MAILDIR_BASE, { recursive: true });
      await chown(MAILDIR_BASE, MAILDIR_OWNER, MAILDIR_OWNER);
      return ports;
    }
    // Most likely another process took one of the ports between pick and bind.
    failure = `postfix start exited ${started.code}: ${started.stderr.trim()}\n${await logTail()}`;
    await stopMaster();
  }
  throw new Error(`Postfix did not answer on its ports after ${START_ATTEMPTS} attempts:\n${failure}`);
}

/** Starts (or joins) the harness's Postfix; throws with Postfix's own words if it cannot. */
export async function startPostfix(): Promise<PostfixInstance> {
  await ensureTestUser();
  const config = await loadConfig();
  let started = false;
  const ports = await withLock(async () => {
    const others = await liveLeases();
    const state = await readState();
    const current = await readFile(path.join(CONFIG_DIR, 'main.cf'), 'utf8').catch(() => '');
    if (others.length > 0 && state && state.configHash === config.hash && current === config.mainCf
      && (await masterRunning()) && (await allAnswer(state.ports, 3_000))) {
      await writeFile(path.join(LEASE_DIR, String(process.pid)), '');
      return state.ports;
    }
    if (others.length > 0) {
      console.warn(`[postfix harness] restarting Postfix although runs ${others.join(', ')} use it: its config or ports differ`);
    }
    const fresh = await freshStart(config);
    started = true;
    await writeFile(STATE_FILE, JSON.stringify({ ports: fresh, configHash: config.hash } satisfies State));
    await writeFile(path.join(LEASE_DIR, String(process.pid)), '');
    return fresh;
  });
  return {
    host: POSTFIX_HOST,
    ports,
    mailbox: MAILBOX,
    recipient: RECIPIENT,
    maildir: MAILDIR,
    maildirDomain: MAILDIR_DOMAIN,
    relay: { domain: RELAY_DOMAIN, port: RELAY_PORT },
    logPath: LOG_PATH,
    started,
    stop: () => withLock(async () => {
      await rm(path.join(LEASE_DIR, String(process.pid)), { force: true });
      if ((await liveLeases()).length > 0) return;
      await stopMaster();
      await rm(STATE_FILE, { force: true });
    }),
  };
}

// ---------------------------------------------------------------- mailbox

/** The mbox as bytes; empty until local(8) has created it. */
export async function readMailbox(mailbox = MAILBOX): Promise<Buffer> {
  try {
    return await readFile(mailbox);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw error;
  }
}

/**
 * Splits Postfix's mbox: local(8) writes "From sender date\n", the message with `>From `
 * quoting, then one empty line, so a separator is a "From " line at the start of the
 * file or after an empty line. Each returned Buffer includes its "From " line.
 */
export function splitMailbox(mbox: Buffer): Buffer[] {
  const starts: number[] = [];
  if (mbox.subarray(0, 5).toString('latin1') === 'From ') starts.push(0);
  let at = 0;
  for (;;) {
    at = mbox.indexOf('\n\nFrom ', at, 'latin1');
    if (at === -1) break;
    starts.push(at + 2);
    at += 2;
  }
  return starts.map((start, i) => mbox.subarray(start, starts[i + 1] ?? mbox.length));
}

export async function clearMailbox(mailbox = MAILBOX): Promise<void> {
  await truncate(mailbox, 0).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

/** `testuser+<tag>@example.test`: delivered to the same mbox, told apart by X-Original-To. */
export function uniqueRecipient(tag = randomBytes(6).toString('hex')): string {
  return `${TEST_USER}+${tag}@example.test`;
}

function isFor(message: Buffer, to: string): boolean {
  const headerEnd = message.indexOf('\n\n');
  const header = message.subarray(0, headerEnd === -1 ? message.length : headerEnd).toString('latin1');
  return header.toLowerCase().includes(`\nx-original-to: ${to.toLowerCase()}\n`);
}

/**
 * Waits until the mailbox holds at least `n` messages (only those delivered to `to`,
 * when given) and returns them. A delivery in progress is not counted: local(8) ends
 * each message with an empty line, so the file must end in "\n\n".
 */
export async function waitForMessages(
  n: number,
  timeoutMs = 10_000,
  options: { to?: string; mailbox?: string } = {},
): Promise<Buffer[]> {
  const deadline = Date.now() + timeoutMs;
  let messages: Buffer[] = [];
  for (;;) {
    const mbox = await readMailbox(options.mailbox);
    const complete = mbox.length === 0 || mbox.subarray(-2).toString('latin1') === '\n\n';
    if (complete) {
      messages = splitMailbox(mbox).filter((m) => !options.to || isFor(m, options.to));
      if (messages.length >= n) return messages;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `expected ${n} message(s)${options.to ? ` for ${options.to}` : ''} in ${options.mailbox ?? MAILBOX} within ${timeoutMs} ms, found ${messages.length}\n` +
          `Postfix log tail:\n${await logTail()}`,
      );
    }
    await sleep(50);
  }
}

export async function readLog(logPath = LOG_PATH): Promise<string> {
  return readFile(logPath, 'utf8').catch(() => '');
}
