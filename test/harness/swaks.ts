/**
 * swaks is a real client the e2e tests must run in CI. Outside CI, where it (or its TLS
 * module, libnet-ssleay-perl, which Debian only recommends) is missing, a test skips with
 * the reason printed; with CI set it fails instead, so CI can never pass by skipping.
 */
import { execFile } from 'node:child_process';
import { ci } from './ci.js';

export { ci };

async function swaksProblem(tls: boolean): Promise<string | undefined> {
  const output = await new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile('sh', ['-c', 'command -v swaks && swaks --support 2>&1'], { timeout: 10_000 }, (error, stdout) => {
      resolve({ code: error ? 1 : 0, stdout });
    });
  });
  if (output.code !== 0) return 'swaks is not installed';
  if (tls && /TLS not available/.test(output.stdout)) return 'swaks lacks TLS (install libnet-ssleay-perl)';
  return undefined;
}

/** Call first in a test that runs swaks: returns when it can run, skips or fails otherwise. */
export async function requireSwaks(context: { skip: (note?: string) => void }, options: { tls?: boolean; who?: string } = {}): Promise<void> {
  const problem = await swaksProblem(options.tls ?? true);
  if (!problem) return;
  if (ci) throw new Error(`CI must run the swaks tests: ${problem}`);
  console.warn(`[${options.who ?? 'e2e'}] swaks test skipped: ${problem}`);
  context.skip(problem);
}
