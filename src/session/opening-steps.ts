import { AuthError, UsageError } from '../errors.js';
import { authMechanisms, type Capabilities } from '../smtp/capabilities.js';
import { envelopeLines, type EnvelopeLines, type EnvelopeRequest } from '../smtp/envelope-params.js';
import { isSuccess, type Reply } from '../smtp/reply.js';
import { chooseMechanism, type ClientMechanism } from '../smtp/sasl/client.js';
import { proxyCommands, proxyRefusal, type ProxyAttribute, type ProxyVerb } from '../smtp/xclient.js';
import type { SmtpSession } from './smtp-session.js';

/** `--auth`: a mechanism, or `auto` (the strongest the server offers, see chooseMechanism). */
export interface AuthPlan {
  mechanism: ClientMechanism | 'auto';
  user: string;
  password: () => Promise<string>;
  /** The XOAUTH2 bearer token, when the user gave one (never from argv). */
  token?: () => string | undefined;
}

/**
 * AUTH as the plan says. With `auto`, the mechanism is picked from the EHLO reply and the
 * choice is shown (an info event), so the user knows what went over the wire. `option` names
 * what asked, in those lines: `--auth`, or the local command `:auth`.
 */
export async function authenticate(session: SmtpSession, auth: AuthPlan, option = '--auth'): Promise<Reply> {
  const token = auth.token?.();
  let mechanism = auth.mechanism;
  if (mechanism === 'auto') {
    const offered = authMechanisms(session.capabilities);
    const chosen = chooseMechanism(offered, { token: token !== undefined });
    if (!chosen) {
      throw new AuthError(offered.length
        ? `${option}: the server offers AUTH ${offered.join(' ')}, none of which smtpdbg speaks (SCRAM-SHA-256, CRAM-MD5, PLAIN, LOGIN, XOAUTH2 with SMTPDBG_OAUTH_TOKEN)`
        : `${option}: the server does not advertise AUTH`);
    }
    mechanism = chosen;
    session.client.emit({ type: 'info', message: `${option}: using ${chosen}, the strongest of what the server offers (${offered.join(' ')})` });
  }
  if (mechanism === 'XOAUTH2') {
    if (token === undefined) throw new UsageError(`${option} xoauth2 needs the token in SMTPDBG_OAUTH_TOKEN (never on the command line)`);
    return session.authenticate(mechanism, auth.user, token);
  }
  return session.authenticate(mechanism, auth.user, await auth.password());
}

/**
 * XCLIENT, then XFORWARD, when the plan has attributes for them. Each is checked against
 * what the EHLO reply lists first: a server that does not offer the verb or an attribute
 * gets nothing (a usage note, exit 2). Postfix answers XCLIENT with a new 220 greeting and
 * forgets the EHLO, so EHLO follows (Postfix's XCLIENT_README). Returns the refusal that
 * ends the opening, if one came.
 */
export async function sendProxyCommands(session: SmtpSession, plan: { xclient?: ProxyAttribute[]; xforward?: ProxyAttribute[] }): Promise<Reply | undefined> {
  for (const verb of ['XCLIENT', 'XFORWARD'] as const satisfies readonly ProxyVerb[]) {
    const attributes = verb === 'XCLIENT' ? plan.xclient : plan.xforward;
    if (!attributes?.length) continue;
    const refusal = proxyRefusal(verb, attributes, session.capabilities);
    if (refusal) {
      // The conversation ends politely: the server did nothing wrong.
      await session.quit().catch(() => undefined);
      throw new UsageError(refusal);
    }
    for (const line of proxyCommands(verb, attributes)) {
      const reply = await session.command(line);
      const expected = verb === 'XCLIENT' ? reply.code === 220 : reply.code === 250;
      if (!expected) return reply;
    }
    if (verb === 'XCLIENT') {
      // The EHLO name replaces XCLIENT's HELO in Postfix: an XCLIENT HELO is said again.
      const helo = attributes.findLast((a) => a.name === 'HELO' && !a.value.startsWith('['))?.value;
      const ehlo = await session.ehlo(helo && /^[\x21-\x7e]+$/.test(helo) ? helo : undefined);
      if (!isSuccess(ehlo)) return ehlo;
    }
  }
  return undefined;
}

/**
 * The MAIL and RCPT lines of one transaction with their parameters, or the usage note that
 * stops it before MAIL (a parameter the server did not advertise). `recipients` may be a
 * subset of the plan's (a retry): each keeps the per-recipient parameters of its place in
 * the plan's list (its --dsn-orcpt).
 */
export function envelopeOrNote(
  plan: { from: string; to: readonly string[]; envelope?: EnvelopeRequest },
  recipients: readonly string[],
  caps: Capabilities | undefined,
  messageOctets: number | undefined,
  transfer: 'DATA' | 'BDAT' = 'DATA',
): EnvelopeLines | UsageError {
  try {
    const lines = envelopeLines(plan.envelope, plan.from, plan.to, caps, messageOctets, transfer);
    return { mail: lines.mail, rcpt: recipients.map((address) => lines.rcpt[plan.to.indexOf(address)]!) };
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
}
