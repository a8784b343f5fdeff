/**
 * Real DNS servers from Debian on loopback for the probe tests: NSD (authoritative) serving
 * zones written to a temporary directory, optionally signed with ldns-signzone, and Unbound
 * validating them with the zone's key as trust anchor, so that the AD bit is real. Each
 * start picks free ports on 127.0.0.1 and its stop kills the process and removes the files.
 * `.ci/run` installs nsd, unbound and ldnsutils.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import * as dnsPacket from 'dns-packet';

const run = promisify(execFile);

export interface Zone {
  /** e.g. "localhost" */
  name: string;
  /** Zone file text (RFC 1035 §5), with $ORIGIN and $TTL. */
  text: string;
}

export interface DnsServer {
  port: number;
  /** "127.0.0.1:PORT", as --dns-server takes it. */
  address: string;
  stop(): Promise<void>;
}

export async function dnsServersUnavailableReason(): Promise<string | undefined> {
  for (const [tool, args] of [['nsd', ['-v']], ['unbound', ['-V']], ['ldns-signzone', ['-v']]] as const) {
    try {
      await run(tool, [...args]);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return `${tool} is not installed (.ci/run installs nsd, unbound and ldnsutils)`;
    }
  }
  return undefined;
}

/** A port free for both UDP and TCP on 127.0.0.1 (DNS listens on both). */
async function freeDnsPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = net.createServer();
    const port = await new Promise<number>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(0, '127.0.0.1', () => resolve((tcp.address() as net.AddressInfo).port));
    });
    const udp = dgram.createSocket('udp4');
    const udpFree = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    udp.close();
    await new Promise((resolve) => tcp.close(resolve));
    if (udpFree) return port;
  }
  throw new Error('no free UDP+TCP port on 127.0.0.1');
}

/** Resolves once the server answers a query on `port` (any answer: it is up). */
async function waitForDns(port: number, child: ChildProcess, name: string, log: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const query = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'SOA', name }] } as dnsPacket.Packet);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${child.spawnfile} exited with ${child.exitCode}: ${log()}`);
    const answered = await new Promise<boolean>((resolve) => {
      const socket = dgram.createSocket('udp4');
      const timer = setTimeout(() => {
        socket.close();
        resolve(false);
      }, 200);
      socket.once('message', () => {
        clearTimeout(timer);
        socket.close();
        resolve(true);
      });
      socket.send(query, port, '127.0.0.1');
    });
    if (answered) return;
    if (Date.now() > deadline) throw new Error(`${child.spawnfile} did not answer on ${port} within ${timeoutMs} ms: ${log()}`);
    await sleep(100);
  }
}

function spawnLogged(command: string, args: string[]): { child: ChildProcess; log: () => string } {
  let output = '';
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, log: () => output };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const forced = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(forced);
}

/** Starts a DNS daemon in the foreground and waits until it answers; its stop also removes `dir`. */
async function runDaemon(command: string, args: string[], dir: string, port: number, name: string): Promise<DnsServer> {
  const { child, log } = spawnLogged(command, args);
  const stop = async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForDns(port, child, name, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, address: `127.0.0.1:${port}`, stop };
}

export interface SignedZone extends Zone {
  /** The key-signing key's DNSKEY record: Unbound's trust anchor for the zone. */
  trustAnchor: string;
}

/** Signs a zone with ldns (ECDSA P-256 KSK and ZSK, NSEC); signatures valid for four weeks. */
export async function signZone(zone: Zone): Promise<SignedZone> {
  const dir = await mkdtemp(join(tmpdir(), 'smtpdbg-dnssec-'));
  try {
    const file = join(dir, 'zone');
    await writeFile(file, zone.text);
    const keygen = (...flags: string[]) => run('ldns-keygen', ['-a', 'ECDSAP256SHA256', ...flags, zone.name], { cwd: dir });
    const ksk = (await keygen('-k')).stdout.trim();
    const zsk = (await keygen()).stdout.trim();
    await run('ldns-signzone', [file, join(dir, ksk), join(dir, zsk)], { cwd: dir });
    const trustAnchor = (await readFile(join(dir, `${ksk}.key`), 'utf8')).replace(/;.*$/gm, '').trim();
    return { name: zone.name, text: await readFile(`${file}.signed`, 'utf8'), trustAnchor };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** NSD serving `zones` on 127.0.0.1:PORT (UDP and TCP), as root without dropping privileges. */
export async function startNsd(zones: Zone[]): Promise<DnsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'smtpdbg-nsd-'));
  const port = await freeDnsPort();
  const zoneBlocks = await Promise.all(zones.map(async (zone, i) => {
    await writeFile(join(dir, `zone${i}`), zone.text);
    return `zone:\n  name: "${zone.name}"\n  zonefile: "${join(dir, `zone${i}`)}"\n`;
  }));
  await writeFile(join(dir, 'nsd.conf'), `server:
  ip-address: 127.0.0.1@${port}
  port: ${port}
  username: ""
  chroot: ""
  zonesdir: "${dir}"
  pidfile: "${dir}/nsd.pid"
  database: ""
  xfrdfile: "${dir}/xfrd.state"
  zonelistfile: "${dir}/zone.list"
  logfile: "${dir}/nsd.log"
  server-count: 1
  do-ip6: no
  verbosity: 1
remote-control:
  control-enable: no
${zoneBlocks.join('')}`);
  return runDaemon('nsd', ['-d', '-c', join(dir, 'nsd.conf')], dir, port, zones[0]?.name ?? '.');
}

/**
 * Unbound as a validating resolver for `zones`, which it asks the authoritative server on
 * `authPort`; every other name goes there too (and is refused), so nothing leaves loopback.
 */
export async function startUnbound(zones: SignedZone[], authPort: number): Promise<DnsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'smtpdbg-unbound-'));
  const port = await freeDnsPort();
  await writeFile(join(dir, 'anchors'), `${zones.map((z) => z.trustAnchor).join('\n')}\n`);
  const stubs = ['.', ...zones.map((z) => z.name)].map((name) => `stub-zone:\n  name: "${name}"\n  stub-addr: 127.0.0.1@${authPort}\n`);
  await writeFile(join(dir, 'unbound.conf'), `server:
  interface: 127.0.0.1@${port}
  port: ${port}
  do-ip6: no
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${dir}/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 1
  do-not-query-localhost: no
  module-config: "validator iterator"
  trust-anchor-file: "${dir}/anchors"
  val-permissive-mode: no
  access-control: 127.0.0.0/8 allow
  # Unbound answers "localhost." itself unless told not to (its default local zones).
${zones.map((z) => `  local-zone: "${z.name}." nodefault\n`).join('')}remote-control:
  control-enable: no
${stubs.join('')}`);
  return runDaemon('unbound', ['-d', '-c', join(dir, 'unbound.conf')], dir, port, zones[0]?.name ?? '.');
}
