import { capabilityList } from '../smtp/capabilities.js';
import type { CloseEvent, EventStream } from '../transcript/events.js';
import type { SmtpSession } from './smtp-session.js';

export interface SessionSummary {
  target: string;
  embedded: boolean;
  banner: { code: number; lines: string[] } | null;
  capabilities: { beforeTls: string[] | null; afterTls: string[] | null };
  tls: SmtpSession['tlsSummary'] | null;
  /** How many connections the run opened (more than one after :reconnect); the fields above are of the last. */
  connections: number;
  /**
   * Every reply of every connection in order of arrival; those that answered nothing sent
   * have the command "(unsolicited)", those that came after their wait timed out "VERB (late)".
   */
  replies: Array<{ command: string; code: number; enhanced: string | null; lines: string[] }>;
  /** How many replies answered nothing we sent (the server was out of step). */
  unsolicited: number;
  end: { by: CloseEvent['by']; reason: string } | null;
  error: { code: string; message: string } | null;
  exitCode: number;
}

/** Keeps the last close event of a stream: how the connection ended, for --json. */
export function watchClose(events: EventStream): () => CloseEvent | undefined {
  let last: CloseEvent | undefined;
  events.subscribe((event) => {
    if (event.type === 'close') last = event;
  });
  return () => last;
}

export function summarizeSession(
  session: SmtpSession | undefined,
  context: { target: string; embedded: boolean; close: CloseEvent | undefined; error: { code: string; message: string } | null; exitCode: number; earlier?: readonly SmtpSession[] },
): SessionSummary {
  const all = [...(context.earlier ?? []), ...(session ? [session] : [])];
  return {
    target: context.target,
    embedded: context.embedded,
    banner: session?.banner ? { code: session.banner.code, lines: session.banner.lines } : null,
    capabilities: {
      beforeTls: session?.capsBeforeTls ? capabilityList(session.capsBeforeTls) : null,
      afterTls: session?.capsAfterTls ? capabilityList(session.capsAfterTls) : null,
    },
    tls: session?.tlsSummary ?? null,
    connections: all.length,
    replies: all.flatMap((s) => s.exchanges).map((e) => ({ command: e.command, code: e.reply.code, enhanced: e.reply.enhanced ?? null, lines: e.reply.lines })),
    unsolicited: all.reduce((sum, s) => sum + s.unsolicitedReplies, 0),
    end: context.close ? { by: context.close.by, reason: context.close.reason } : null,
    error: context.error,
    exitCode: context.exitCode,
  };
}
