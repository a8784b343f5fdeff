import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InboundSocket, type InboundSocketLoss } from '../../../src/net/inbound-socket.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** An accepted socket on loopback and the client connected to it. */
async function pair(allowHalfOpen = false): Promise<{ accepted: net.Socket; client: net.Socket }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const acceptedP = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen });
  const accepted = await acceptedP;
  cleanups.push(() => {
    client.destroy();
    accepted.destroy();
    server.close();
  });
  return { accepted, client };
}

describe('InboundSocket states', () => {
  it('open → ending (our FIN, still reading what the client sends) → closed when the client closes, reported once', async () => {
    const { accepted, client } = await pair();
    const socket = new InboundSocket(accepted);
    const seen: string[] = [];
    const losses: InboundSocketLoss[] = [];
    socket.serve({ data: (chunk) => void seen.push(chunk.toString()), peerEnded: () => void seen.push('FIN'), closed: (loss) => void losses.push(loss), lingered: () => undefined });
    expect(socket.state).toBe('open');
    socket.end(5000);
    expect(socket.state).toBe('ending');
    expect(socket.write(Buffer.from('ignored'))).toBe(true);
    client.end('QUIT\r\n');
    await new Promise((resolve) => accepted.once('close', resolve));
    expect(seen).toEqual(['QUIT\r\n', 'FIN']);
    expect(socket.state).toBe('closed');
    expect(losses).toEqual([{ kind: 'peer' }]);
  });

  it('a client that never closes is dropped after the grace period, and told so', async () => {
    // The client keeps its side open after our FIN.
    const { accepted } = await pair(true);
    const socket = new InboundSocket(accepted);
    const lingered: number[] = [];
    socket.serve({ data: () => undefined, peerEnded: () => undefined, closed: () => undefined, lingered: (ms) => void lingered.push(ms) });
    socket.end(50);
    await new Promise((resolve) => accepted.once('close', resolve));
    expect(lingered).toEqual([50]);
    expect(socket.state).toBe('closed');
  });
});
