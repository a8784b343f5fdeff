/**
 * Which of the application's lines hold AUTH secrets, so that transcripts and the screen
 * show `<redacted>` instead (design.md: secrets are redacted unless --show-secrets). The
 * relay forwards the real bytes; only what is recorded changes.
 *
 * RFC 4954 §4: the optional initial response after `AUTH <mechanism>` is a secret, and so is
 * every line the client sends while the server keeps answering 334. `inAuthExchange` is true
 * when the last reply relayed for an AUTH exchange was a 334. Returns what events record
 * instead of the line, or undefined when the line holds no secret.
 */
export function redactAuthLine(line: Buffer, terminator: Buffer, inAuthExchange: boolean): Buffer | undefined {
  if (inAuthExchange) return Buffer.concat([Buffer.from('<redacted>', 'latin1'), terminator]);
  const text = line.toString('latin1');
  const words = text.split(' ');
  if ((words[0] ?? '').toUpperCase() !== 'AUTH' || words.length < 3) return undefined;
  return Buffer.concat([Buffer.from(`${words[0]} ${words[1]} <redacted>`, 'latin1'), terminator]);
}
