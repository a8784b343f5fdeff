import { TlsError } from '../errors.js';
import { envelopeLines, type EnvelopeRequest } from '../smtp/envelope-params.js';
import type { ProxyAttribute } from '../smtp/xclient.js';
import { isSuccess, formatReplyShort, type Reply } from '../smtp/reply.js';
import type { SmtpSession } from './smtp-session.js';
import { authenticate, sendProxyCommands, type AuthPlan } from './opening-steps.js';
import { TlsMode } from './tls-mode.js';

/** Where `--quit-after` may stop, in the order the opening reaches them (swaks' order). */
export const QuitAfterStages = ['banner', 'ehlo', 'tls', 'auth', 'mail', 'rcpt'] as const;
export type QuitAfter = (typeof QuitAfterStages)[number];

export interface OpeningPlan {
  quitAfter?: QuitAfter;
  auth?: AuthPlan;
  from: string;
  to: string[];
  /** `--xclient` / `--xforward` attributes, sent after EHLO (opening-steps.ts). */
  xclient?: ProxyAttribute[];
  xforward?: ProxyAttribute[];
  /** MAIL/RCPT parameters (`--mail-param`, `--dsn-*` …). */
  envelope?: EnvelopeRequest;
}

export interface OpeningResult {
  /** The opening stopped: --quit-after was reached, or a reply ended it. */
  stopped: boolean;
  /** The first 4xx/5xx where success was expected, if any. */
  failedReply?: Reply;
}

const stageIndex = (stage: QuitAfter) => QuitAfterStages.indexOf(stage);

/**
 * Banner, EHLO, STARTTLS and EHLO again, AUTH, and — when --quit-after asks for them —
 * MAIL and RCPT. Shared by `session` (scripted and interactive) and `inject`.
 */
export async function runOpening(session: SmtpSession, plan: OpeningPlan): Promise<OpeningResult> {
  const stopAt = plan.quitAfter;
  const reached = (stage: QuitAfter) => stopAt === stage;
  const failed = (reply: Reply): OpeningResult => ({ stopped: true, failedReply: reply });

  const banner = await session.readBanner();
  if (!isSuccess(banner)) return failed(banner);
  if (reached('banner')) return { stopped: true };

  let ehlo = await session.ehlo();
  if (!isSuccess(ehlo)) return failed(ehlo);

  const mode = session.settings.tlsMode;
  if (mode === TlsMode.starttls || mode === TlsMode.requireStarttls) {
    if (session.canStartTls()) {
      const { reply } = await session.starttls();
      if (reply.code !== 220) {
        if (mode === TlsMode.requireStarttls) {
          throw new TlsError(`STARTTLS refused by ${session.client.target}: ${formatReplyShort(reply)} (--require-tls)`);
        }
        return failed(reply);
      }
      if (reached('tls')) return { stopped: true };
      ehlo = await session.ehlo();
      if (!isSuccess(ehlo)) return failed(ehlo);
    } else if (mode === TlsMode.requireStarttls) {
      throw new TlsError(`${session.client.target} does not advertise STARTTLS (--require-tls)`);
    } else {
      session.client.emit({ type: 'info', message: 'the server does not advertise STARTTLS: continuing in plain text' });
    }
  }
  if (reached('ehlo') || reached('tls')) return { stopped: true };

  const proxied = await sendProxyCommands(session, plan);
  if (proxied) return failed(proxied);

  if (plan.auth) {
    const reply = await authenticate(session, plan.auth);
    if (reply.code !== 235) return failed(reply);
  }
  if (reached('auth')) return { stopped: true };

  if (stopAt && stageIndex(stopAt) >= stageIndex('mail')) {
    const envelope = envelopeLines(plan.envelope, plan.from, plan.to, session.capabilities, undefined);
    const mail = await session.command(envelope.mail);
    if (!isSuccess(mail)) return failed(mail);
    if (reached('mail')) return { stopped: true };
    for (const line of envelope.rcpt) {
      const rcpt = await session.command(line);
      if (!isSuccess(rcpt)) return failed(rcpt);
    }
    return { stopped: true };
  }
  return { stopped: false };
}
