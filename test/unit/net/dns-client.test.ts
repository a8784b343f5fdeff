/**
 * The stub resolver against scripted DNS servers on 127.0.0.1: records decoded into plain
 * data, CNAMEs followed, the AD bit and the response code kept, a truncated UDP answer
 * asked again over TCP, answers to other questions ignored, silence bounded in time.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { DnsClient } from '../../../src/net/dns-client.js';
import { nameserverFromResolvConf, parseDnsServer, systemDnsServer } from '../../../src/dns/server-address.js';

type Answer = (query: dnsPacket.DecodedPacket) => Partial<dnsPacket.Packet> | undefined;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A UDP DNS server (and a TCP one on the same port when `tcp` is given). */
async function scriptedServer(udp: Answer, tcp?: Answer): Promise<{ port: number; queries: dnsPacket.DecodedPacket[] }> {
  const queries: dnsPacket.DecodedPacket[] = [];
  const socket = dgram.createSocket('udp4');
  const respond = (query: dnsPacket.DecodedPacket, answer: Partial<dnsPacket.Packet>) =>
    dnsPacket.encode({ id: query.id, type: 'response', questions: query.questions, ...answer } as dnsPacket.Packet);
  socket.on('message', (bytes, from) => {
    const query = dnsPacket.decode(bytes);
    queries.push(query);
    const answer = udp(query);
    if (answer) socket.send(respond(query, answer), from.port, from.address);
  });
  const port = await new Promise<number>((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket.address().port)));
  let server: net.Server | undefined;
  if (tcp) {
    server = net.createServer((conn) => {
      conn.once('data', (bytes: Buffer) => {
        const query = dnsPacket.decode(bytes.subarray(2));
        queries.push(query);
        const answer = tcp(query);
        if (answer) conn.end(dnsPacket.streamEncode({ id: query.id, type: 'response', questions: query.questions, ...answer } as dnsPacket.Packet));
      });
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
  }
  cleanups.push(async () => {
    socket.close();
    if (server) await new Promise((resolve) => server!.close(resolve));
  });
  return { port, queries };
}

const client = (port: number, timeoutMs = 2000) => new DnsClient({ server: { host: '127.0.0.1', port, source: 'option' }, timeoutMs });

describe('DnsClient', () => {
  it('decodes MX, TLSA and multi-string TXT records and keeps the AD bit', async () => {
    const { port, queries } = await scriptedServer((query) => {
      const name = query.questions![0]!.name;
      const type = query.questions![0]!.type;
      if (type === 'MX') return { flags: dnsPacket.AUTHENTIC_DATA, answers: [{ type: 'MX', name, data: { preference: 10, exchange: 'mx.example.test' } }] };
      if (type === 'TLSA') return { answers: [{ type: 'TLSA', name, data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.from('abcd', 'hex') } }] } as Partial<dnsPacket.Packet>;
      return { answers: [{ type: 'TXT', name, data: [Buffer.from('v=STSv1; '), Buffer.from('id=1;')] }] };
    });
    const dns = client(port);
    const mx = await dns.lookup('example.test', 'MX');
    expect(mx).toEqual({ name: 'example.test', type: 'MX', rcode: 'NOERROR', authenticated: true, records: [{ preference: 10, exchange: 'mx.example.test' }], transport: 'udp' });
    expect((await dns.lookup('_25._tcp.mx.example.test', 'TLSA')).records).toEqual([{ usage: 3, selector: 1, matchingType: 1, data: 'abcd' }]);
    const txt = await dns.lookup('_mta-sts.example.test', 'TXT');
    expect(txt.records).toEqual(['v=STSv1; id=1;']);
    expect(txt.authenticated).toBe(false);
    // RFC 6840 §5.7: the query asks for the AD bit, with recursion desired.
    expect(queries[0]!.flag_ad).toBe(true);
    expect(queries[0]!.flag_rd).toBe(true);
  });

  it('follows a CNAME inside the answer and ignores records of other names', async () => {
    const { port } = await scriptedServer((query) => ({
      answers: [
        { type: 'CNAME', name: 'mx.example.test', data: 'real.example.test' },
        { type: 'A', name: 'real.example.test', data: '127.0.0.5' },
        { type: 'A', name: 'unrelated.example.test', data: '127.0.0.6' },
      ],
      questions: query.questions,
    }));
    expect((await client(port).lookup('mx.example.test', 'A')).records).toEqual(['127.0.0.5']);
  });

  it('reports NXDOMAIN and SERVFAIL as response codes with no records', async () => {
    let rcode = 3;
    const { port } = await scriptedServer(() => ({ flags: rcode }));
    expect(await client(port).lookup('nx.example.test', 'MX')).toMatchObject({ rcode: 'NXDOMAIN', records: [] });
    rcode = 2;
    expect(await client(port).lookup('broken.example.test', 'MX')).toMatchObject({ rcode: 'SERVFAIL', records: [] });
  });

  it('asks again over TCP when the UDP answer is truncated (RFC 7766)', async () => {
    const { port, queries } = await scriptedServer(
      () => ({ flags: dnsPacket.TRUNCATED_RESPONSE }),
      (query) => ({ answers: Array.from({ length: 40 }, (_, i) => ({ type: 'TXT', name: query.questions![0]!.name, data: `record ${i} ${'x'.repeat(100)}` })) }),
    );
    const answer = await client(port).lookup('big.example.test', 'TXT');
    expect(answer.transport).toBe('tcp');
    expect(answer.records).toHaveLength(40);
    expect(queries).toHaveLength(2);
  });

  it('ignores an answer with another id, and gives up after the timeout with one retransmission', async () => {
    const { port, queries } = await scriptedServer((query) => ({ id: ((query.id ?? 0) + 1) % 65536 }) as Partial<dnsPacket.Packet>);
    const started = Date.now();
    await expect(client(port, 600).lookup('example.test', 'MX')).rejects.toThrow(`timed out after 600 ms waiting for the DNS answer to MX example.test from 127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(queries).toHaveLength(2);
  });

  it('says so when the answer cannot be decoded', async () => {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (_bytes, from) => socket.send(Buffer.from('garbage'), from.port, from.address));
    const port = await new Promise<number>((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket.address().port)));
    cleanups.push(async () => {
      socket.close();
    });
    await expect(client(port).lookup('example.test', 'MX')).rejects.toThrow(`the DNS server 127.0.0.1:${port} sent an answer to MX example.test that cannot be decoded (7 bytes)`);
  });
});

describe('--dns-server and resolv.conf', () => {
  it('takes an address with an optional port, IPv6 in brackets or bare', () => {
    expect(parseDnsServer('127.0.0.1')).toEqual({ host: '127.0.0.1', port: 53, source: 'option' });
    expect(parseDnsServer('127.0.0.1:5353')).toMatchObject({ host: '127.0.0.1', port: 5353 });
    expect(parseDnsServer('[::1]:5353')).toMatchObject({ host: '::1', port: 5353 });
    expect(parseDnsServer('::1')).toMatchObject({ host: '::1', port: 53 });
  });

  it('refuses names and bad ports with the option in the message', () => {
    expect(() => parseDnsServer('resolver.example')).toThrow('--dns-server resolver.example: "resolver.example" is not an IP address');
    expect(() => parseDnsServer('127.0.0.1:0')).toThrow('--dns-server 127.0.0.1:0: port must be 1-65535');
    expect(() => parseDnsServer('127.0.0.1:x')).toThrow('port must be 1-65535');
  });

  it('reads the first usable nameserver line, and falls back to the local machine', () => {
    expect(nameserverFromResolvConf('# comment\nsearch example\nnameserver bogus\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n')).toBe('192.0.2.53');
    expect(nameserverFromResolvConf('options edns0\n')).toBeUndefined();
    expect(systemDnsServer('/nonexistent/resolv.conf')).toEqual({ host: '127.0.0.1', port: 53, source: 'resolv.conf' });
  });
});
