import { UsageError } from '../errors.js';

/**
 * The AUTH password: SMTPDBG_PASSWORD, or a prompt on the terminal that echoes nothing.
 * Never argv, where `ps` and shell history would keep it.
 */
export async function readPassword(user: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fromEnv = env.SMTPDBG_PASSWORD;
  if (fromEnv !== undefined) return fromEnv;
  const input = process.stdin;
  if (!input.isTTY) {
    throw new UsageError(`no password for ${user}: set SMTPDBG_PASSWORD (stdin is not a terminal, so there is no prompt)`);
  }
  return new Promise<string>((resolve, reject) => {
    let typed = '';
    const wasRaw = input.isRaw;
    // Raw mode before the prompt: a key typed as soon as the prompt shows is not echoed either.
    input.setRawMode(true);
    process.stderr.write(`Password for ${user}: `);
    input.resume();
    const done = (result: () => void) => {
      input.setRawMode(wasRaw);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      result();
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(() => resolve(typed));
        if (ch === '\u0003') return done(() => reject(new UsageError('password prompt interrupted')));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    input.on('data', onData);
  });
}
