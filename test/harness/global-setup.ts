/**
 * vitest globalSetup: starts the harness's Postfix once per run, in the main process,
 * because test files run in parallel workers and a system Postfix can only be started
 * once. The workers get plain data through `inject('postfix')` (see postfix-context.ts).
 *
 * Skip / fail rule (the decision is made here, enforced in postfix-context.ts):
 * - Postfix not installed, or not root, and CI unset: status 'unavailable', required
 *   false → the Postfix tests skip; the reason is printed once, here.
 * - CI set (any non-empty value but "false"/"0"), or Postfix is installed and we are root
 *   but it will not start: 'unavailable', required true → the Postfix tests fail with
 *   the reason. A machine that can run Postfix and does not is a broken machine.
 * Never throws: a failed start must fail the Postfix tests, not every test of the run.
 */
import type { TestProject } from 'vitest/node';
import { ci } from './ci.js';
import { postfixUnavailableReason, startPostfix, type PostfixInstance } from './postfix.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const required = ci;
  const reason = await postfixUnavailableReason();
  let instance: PostfixInstance | undefined;
  if (reason !== undefined) {
    project.provide('postfix', { status: 'unavailable', reason, required });
    if (!required) console.warn(`[postfix harness] Postfix tests skipped: ${reason}`);
  } else {
    try {
      instance = await startPostfix();
      project.provide('postfix', {
        status: 'running',
        host: instance.host,
        ports: instance.ports,
        mailbox: instance.mailbox,
        recipient: instance.recipient,
        maildir: instance.maildir,
        maildirDomain: instance.maildirDomain,
        relay: instance.relay,
        logPath: instance.logPath,
      });
    } catch (error) {
      const message = `Postfix could not be started: ${(error as Error).message}`;
      console.error(`[postfix harness] ${message}`);
      project.provide('postfix', { status: 'unavailable', reason: message, required: true });
    }
  }
  return async () => {
    await instance?.stop();
  };
}
