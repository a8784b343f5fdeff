#!/usr/bin/env node
// Benchmark for `smtpdbg inject --observe`: the cost of reading back what the
// server stored, over the send alone. Real Postfix (the test harness configures and starts
// it, as root) takes one small message per run: plain, then with --observe mbox:… (its
// local(8) mbox), and, with the Dovecot harness serving Postfix's Maildir, plain to that
// Maildir and with --observe imap://…; rounds interleaved, medians and the overhead printed
// as a markdown table. Most of the overhead is waiting: Postfix's delivery, then the
// settling time --observe gives a split message to arrive whole (500 ms).
// Usage: node --import tsx bench/observe.mjs [--runs N]   (npm run build first)
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, compare, loadMailServerHarness, markdownTable, ratio, scriptArgs } from './lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = scriptArgs(import.meta.url, { valued: ['--runs'], flags: [] });
const runs = Number(argValue(args, '--runs', '7'));

const harness = await loadMailServerHarness('observe.mjs');
for (const [name, reason] of [['Postfix', await harness.postfix.postfixUnavailableReason()], ['Dovecot', await harness.dovecot.dovecotUnavailableReason()]]) {
  if (reason) {
    console.error(`${name}: ${reason}`);
    process.exit(2);
  }
}

const postfix = await harness.postfix.startPostfix();
const dovecot = await harness.dovecot.startDovecot({ maildir: postfix.maildir });
try {
  const target = `${postfix.host}:${postfix.ports.default}`;
  const bin = join(root, 'bin/smtpdbg.js');
  const inject = (to, more = []) => ({ command: process.execPath, args: [bin, 'inject', target, '--plain', '--to', to, ...more] });
  const env = { ...process.env, SMTPDBG_IMAP_PASSWORD: dovecot.password };
  const imap = `imap://${dovecot.user}@localhost:${dovecot.ports.imap}/INBOX`;
  const ca = join(root, 'fixtures/certs/ca.pem');
  const results = await compare(
    [
      { name: 'send to the mbox', ...inject(postfix.recipient) },
      { name: 'send + --observe mbox:', ...inject(postfix.recipient, ['--observe', `mbox:${postfix.mailbox}`]) },
      { name: 'send to the Maildir', ...inject(`reader@${postfix.maildirDomain}`) },
      { name: 'send + --observe imap:// (STARTTLS)', ...inject(`reader@${postfix.maildirDomain}`, ['--observe', imap, '--ca', ca]), options: { env } },
    ],
    { runs, warmup: 1 },
  );
  const byName = Object.fromEntries(results.map((r) => [r.name, r.median]));
  const ms = (v) => `${v.toFixed(0)} ms`;
  console.log(
    markdownTable(
      ['what', 'median', 'over the send alone'],
      [
        ['`inject` to Postfix, local mbox', ms(byName['send to the mbox']), '—'],
        ['same, `--observe mbox:/var/mail/…`', ms(byName['send + --observe mbox:']), `+${ms(byName['send + --observe mbox:'] - byName['send to the mbox'])} (${ratio(byName['send + --observe mbox:'], byName['send to the mbox'])})`],
        ['`inject` to Postfix, a Maildir', ms(byName['send to the Maildir']), '—'],
        ['same, `--observe imap://` through Dovecot', ms(byName['send + --observe imap:// (STARTTLS)']), `+${ms(byName['send + --observe imap:// (STARTTLS)'] - byName['send to the Maildir'])} (${ratio(byName['send + --observe imap:// (STARTTLS)'], byName['send to the Maildir'])})`],
      ],
    ),
  );
  console.log(`\n${runs} interleaved runs each (medians); Postfix 3.7 and Dovecot on loopback.`);
} finally {
  await dovecot.stop();
  await postfix.stop();
}
