/**
 * The test side of the Postfix harness: turns what global-setup provided into a
 * `PostfixEnv` and applies the skip / fail rule.
 *
 *   describePostfix('inject against Postfix', (pf) => {
 *     it('delivers', async () => {
 *       const to = pf.uniqueRecipient();
 *       // … talk to pf.host:pf.ports.default …
 *       const [message] = await pf.waitForMessages(1, 10_000, { to });
 *     });
 *   });
 *
 * or, inside a single test:  `const pf = postfixOrSkip(ctx);`
 *
 * Unavailable and not required (no Postfix or not root, CI unset): the suite is skipped,
 * its name carries the reason (global-setup already printed it once).
 * Unavailable and required (CI set, or Postfix failed to start): the suite holds one
 * test that fails with the reason, so the run goes red for the right cause.
 */
import { describe, inject, it } from 'vitest';
import {
  clearMailbox,
  readLog,
  readMailbox,
  splitMailbox,
  uniqueRecipient,
  waitForMessages,
  type PostfixPorts,
  type PostfixProvided,
} from './postfix.js';

export interface PostfixEnv {
  host: string;
  ports: PostfixPorts;
  mailbox: string;
  /** testuser@example.test — lands in `mailbox`. */
  recipient: string;
  /** The Maildir every address @maildirDomain lands in (served over IMAP by test/harness/dovecot.ts). */
  maildir: string;
  maildirDomain: string;
  /** Mail for @relay.domain is passed on to 127.0.0.1:relay.port (one test at a time listens there). */
  relay: { domain: string; port: number };
  logPath: string;
  /** testuser+<tag>@example.test: same mailbox, filterable with `waitForMessages(…, { to })`. */
  uniqueRecipient(tag?: string): string;
  readMailbox(): Promise<Buffer>;
  /** The mbox split into messages, each starting with its "From " separator line. */
  readMessages(): Promise<Buffer[]>;
  /** Truncates the shared mailbox: only where no other test file can be delivering. */
  clearMailbox(): Promise<void>;
  waitForMessages(n: number, timeoutMs?: number, options?: { to?: string }): Promise<Buffer[]>;
  readLog(): Promise<string>;
}

type Running = Extract<PostfixProvided, { status: 'running' }>;

function envFrom(provided: Running): PostfixEnv {
  const { mailbox } = provided;
  return {
    host: provided.host,
    ports: provided.ports,
    mailbox,
    recipient: provided.recipient,
    maildir: provided.maildir,
    maildirDomain: provided.maildirDomain,
    relay: provided.relay,
    logPath: provided.logPath,
    uniqueRecipient,
    readMailbox: () => readMailbox(mailbox),
    readMessages: async () => splitMailbox(await readMailbox(mailbox)),
    clearMailbox: () => clearMailbox(mailbox),
    waitForMessages: (n, timeoutMs, options) => waitForMessages(n, timeoutMs, { ...options, mailbox }),
    readLog: () => readLog(provided.logPath),
  };
}

/** What global-setup provided; a clear error if the config lost its globalSetup. */
export function postfixStatus(): PostfixProvided {
  const provided = inject('postfix') as PostfixProvided | undefined;
  if (!provided) {
    return {
      status: 'unavailable',
      reason: "nothing provided 'postfix': vitest.config.ts must list test/harness/global-setup.ts in globalSetup",
      required: true,
    };
  }
  return provided;
}

/**
 * For use inside a test: the env, or the test is skipped (`ctx.skip(reason)`), or it
 * fails with the reason when Postfix is required.
 */
export function postfixOrSkip(ctx: { skip: (note?: string) => never }): PostfixEnv {
  const provided = postfixStatus();
  if (provided.status === 'running') return envFrom(provided);
  if (provided.required) throw new Error(`Postfix is required here but unavailable: ${provided.reason}`);
  return ctx.skip(`Postfix unavailable: ${provided.reason}`);
}

/**
 * A describe block whose tests talk to the harness's Postfix. When it is skipped, `fn`
 * still runs (vitest collects skipped tests) with ports set to 0, so reading `pf` while
 * declaring tests is safe; only the test bodies must not run, and they do not.
 */
export function describePostfix(name: string, fn: (pf: PostfixEnv) => void): void {
  const provided = postfixStatus();
  if (provided.status === 'running') {
    describe(name, () => fn(envFrom(provided)));
    return;
  }
  if (provided.required) {
    describe(name, () => {
      it('needs a running Postfix', () => {
        throw new Error(`Postfix is required here but unavailable: ${provided.reason}`);
      });
    });
    return;
  }
  const placeholder = envFrom({
    status: 'running',
    host: '127.0.0.1',
    ports: { default: 0, no: 0, normalize: 0, reject: 0, pipelining: 0, xclient: 0 },
    mailbox: '/var/mail/testuser',
    recipient: 'testuser@example.test',
    maildir: '/var/mail/smtpdbg-virtual/reader/Maildir',
    maildirDomain: 'maildir.test',
    relay: { domain: 'relay.test', port: 0 },
    logPath: '/dev/null',
  });
  describe.skip(`${name} (skipped: ${provided.reason})`, () => fn(placeholder));
}
