import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { connect } from 'node:net';
import { isIP } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { ConnectionError, ProtocolError, TimeoutError } from '../errors.js';
import { formatDnsServer, type DnsServerAddress } from '../dns/server-address.js';

export type RecordType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'TLSA';

export interface MxRecord { preference: number; exchange: string }
export interface TlsaRecord { usage: number; selector: number; matchingType: number; data: string }

export interface RecordData {
  A: string;
  AAAA: string;
  MX: MxRecord;
  /** The record's character-strings joined, as RFC 8461 §3.1 and RFC 8460 §3 read them. */
  TXT: string;
  TLSA: TlsaRecord;
}

/** One answer, as plain data: what was asked, the response code, the AD bit, the records. */
export interface DnsAnswer<T extends RecordType = RecordType> {
  name: string;
  type: T;
  /** NOERROR, NXDOMAIN, SERVFAIL, REFUSED… (RFC 1035 §4.1.1, RFC 6895). */
  rcode: string;
  /**
   * The AD bit (RFC 4035 §3.2.3): the resolver says it validated the answer with DNSSEC. Only
   * as trustworthy as the resolver and the path to it.
   */
  authenticated: boolean;
  records: Array<RecordData[T]>;
  /** TCP when the UDP answer was truncated (RFC 7766 §5). */
  transport: 'udp' | 'tcp';
}

const UDP_PAYLOAD = 1232;

function query(name: string, type: RecordType, id: number): dnsPacket.Packet {
  return {
    type: 'query',
    id,
    // RFC 6840 §5.7: AD in a query asks the resolver to say whether it validated the answer.
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA,
    questions: [{ type, name, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: UDP_PAYLOAD }],
  } as dnsPacket.Packet;
}

const sameName = (a: string, b: string) => a.replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase();

function txtText(data: unknown): string {
  const parts = Array.isArray(data) ? data : [data];
  return parts.map((part) => (Buffer.isBuffer(part) ? part.toString('utf8') : String(part))).join('');
}

/** The records of `type` for `name`, following CNAMEs inside the answer section (RFC 1034 §3.6.2). */
function extract<T extends RecordType>(packet: dnsPacket.Packet, name: string, type: T): Array<RecordData[T]> {
  const answers = (packet.answers ?? []) as Array<{ type: string; name: string; data: unknown }>;
  let owner = name;
  for (let hops = 0; hops < 8; hops++) {
    const alias = answers.find((a) => a.type === 'CNAME' && sameName(a.name, owner));
    if (!alias) break;
    owner = String(alias.data);
  }
  const out: Array<RecordData[T]> = [];
  for (const answer of answers) {
    if (answer.type !== type || !sameName(answer.name, owner)) continue;
    if (type === 'TXT') out.push(txtText(answer.data) as RecordData[T]);
    else if (type === 'TLSA') {
      const d = answer.data as { usage: number; selector: number; matchingType: number; certificate: Buffer };
      out.push({ usage: d.usage, selector: d.selector, matchingType: d.matchingType, data: d.certificate.toString('hex') } as RecordData[T]);
    } else out.push(answer.data as RecordData[T]);
  }
  return out;
}

/**
 * One settlement for an exchange: the first outcome releases the socket and timer and
 * settles; later ones (a close after an answer, an error after a timeout) are ignored.
 */
function settleOnce(resolve: (packet: dnsPacket.DecodedPacket) => void, reject: (error: Error) => void, release: () => void) {
  let settled = false;
  return (error: Error | undefined, packet?: dnsPacket.DecodedPacket) => {
    if (settled) return;
    settled = true;
    release();
    if (error) reject(error);
    else resolve(packet!);
  };
}

export interface DnsClientOptions {
  server: DnsServerAddress;
  timeoutMs: number;
}

/**
 * A stub resolver: sends one question at a time to one server, over UDP, and again over TCP
 * when the answer is truncated. Messages are encoded and decoded by dns-packet; this class
 * owns only the sockets and the waiting.
 */
export class DnsClient {
  readonly server: DnsServerAddress;
  readonly timeoutMs: number;

  constructor(options: DnsClientOptions) {
    this.server = options.server;
    this.timeoutMs = options.timeoutMs;
  }

  async lookup<T extends RecordType>(name: string, type: T): Promise<DnsAnswer<T>> {
    const id = randomInt(0, 0x10000);
    const message = dnsPacket.encode(query(name, type, id));
    let transport: 'udp' | 'tcp' = 'udp';
    let packet = await this.overUdp(message, id, `${type} ${name}`);
    if (packet.flag_tc) {
      transport = 'tcp';
      packet = await this.overTcp(message, id, `${type} ${name}`);
    }
    // dns-packet decodes the response code, but its type declarations omit it.
    const rcode = (packet as { rcode?: string }).rcode ?? 'NOERROR';
    return {
      name,
      type,
      rcode,
      authenticated: packet.flag_ad === true,
      records: rcode === 'NOERROR' ? extract(packet, name, type) : [],
      transport,
    };
  }

  private check(packet: dnsPacket.DecodedPacket, id: number): boolean {
    return packet.type === 'response' && packet.id === id;
  }

  /** One UDP exchange, sent twice at most (RFC 1035 §4.2.1 leaves retransmission to the client). */
  private overUdp(message: Buffer, id: number, what: string): Promise<dnsPacket.DecodedPacket> {
    const family = isIP(this.server.host.replace(/%.*$/, '')) === 6 ? 'udp6' : 'udp4';
    const socket = createSocket(family);
    const server = formatDnsServer(this.server);
    return new Promise((resolve, reject) => {
      let attempts = 0;
      let timer: NodeJS.Timeout | undefined;
      const finish = settleOnce(resolve, reject, () => {
        clearTimeout(timer);
        socket.close();
      });
      const send = () => {
        attempts++;
        socket.send(message, this.server.port, this.server.host);
        timer = setTimeout(() => {
          if (attempts < 2) send();
          else finish(new TimeoutError(`the DNS answer to ${what} from ${server}`, this.timeoutMs));
        }, this.timeoutMs / 2);
      };
      socket.on('message', (bytes, from) => {
        // An answer from elsewhere, or to another question, is not ours (RFC 5452 §9.1).
        if (from.port !== this.server.port || from.address !== this.server.host.replace(/%.*$/, '')) return;
        let packet: dnsPacket.DecodedPacket;
        try {
          packet = dnsPacket.decode(bytes);
        } catch {
          return finish(new ProtocolError(`the DNS server ${server} sent an answer to ${what} that cannot be decoded (${bytes.length} bytes)`));
        }
        if (this.check(packet, id)) finish(undefined, packet);
      });
      socket.on('error', (error: NodeJS.ErrnoException) => finish(new ConnectionError(`DNS query ${what} to ${server} failed: ${error.code ?? error.message}`, { cause: error })));
      send();
    });
  }

  /** RFC 7766 §8: over TCP each message is preceded by its length in two octets. */
  private overTcp(message: Buffer, id: number, what: string): Promise<dnsPacket.DecodedPacket> {
    const server = formatDnsServer(this.server);
    const socket = connect({ host: this.server.host, port: this.server.port });
    return new Promise((resolve, reject) => {
      let received = Buffer.alloc(0);
      const timer = setTimeout(() => finish(new TimeoutError(`the DNS answer to ${what} from ${server} over TCP`, this.timeoutMs)), this.timeoutMs);
      const finish = settleOnce(resolve, reject, () => {
        clearTimeout(timer);
        socket.destroy();
      });
      socket.on('connect', () => {
        const length = Buffer.alloc(2);
        length.writeUInt16BE(message.length);
        socket.write(Buffer.concat([length, message]));
      });
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
        try {
          const packet = dnsPacket.decode(received.subarray(2, 2 + received.readUInt16BE(0)));
          if (!this.check(packet, id)) return finish(new ProtocolError(`the DNS server ${server} answered another question over TCP`));
          finish(undefined, packet);
        } catch {
          finish(new ProtocolError(`the DNS server ${server} sent an answer to ${what} that cannot be decoded`));
        }
      });
      socket.on('error', (error: NodeJS.ErrnoException) => finish(new ConnectionError(`DNS query ${what} to ${server} over TCP failed: ${error.code ?? error.message}`, { cause: error })));
      socket.on('close', () => finish(new ConnectionError(`the DNS server ${server} closed the TCP connection before answering ${what}`)));
    });
  }
}
