/**
 * `smtpdbg serve` reads a command's verb as servers do (Postfix splits at any white space),
 * so an AUTH line with tabs is an AUTH line: its secret is redacted in the text and the
 * JSON output, and no reply echoes it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectRaw, waitFor } from '../harness/raw-server.js';
import { startServe, type RunningServe } from './serve-cli.js';

let serve: RunningServe | undefined;
afterEach(async () => {
  await serve?.stop();
  serve = undefined;
});

const plain = Buffer.from('\0bob\0hunter2').toString('base64');

describe('serve: AUTH split the way servers split it', () => {
  it.each([
    ['text output', [], 'AUTH\tPLAIN\t<redacted>'],
    ['--json output', ['--json'], 'AUTH\\tPLAIN\\t<redacted>'],
  ])('AUTH<TAB>PLAIN<TAB>payload is redacted in the %s', async (_name, args, shown) => {
    serve = await startServe(args);
    const client = await connectRaw(serve.port);
    await client.readReply();
    await client.send('EHLO x\r\n');
    await client.readReply();
    await client.send(`AUTH\tPLAIN\t${plain}\r\n`);
    const reply = await client.readReply();
    expect(reply).not.toContain(plain);
    await client.send('QUIT\r\n');
    await client.readReply();
    client.close();
    await waitFor(() => serve!.stdout().includes('QUIT'), 5_000, 'QUIT in the output');
    expect(serve.stdout()).not.toContain(plain);
    expect(serve.stdout()).toContain(shown);
  });
});
