import type { Reply } from '../smtp/reply.js';

/** What a server did with a non-standard end of data (`--smuggle`, `--eod all`). */
export const Classification = {
  /** A second message, written behind the fake end, was accepted. */
  smuggled: 'smuggled',
  /** The fake end stayed message content: one message, one reply. */
  content: 'content',
  /** The message was refused (e.g. 550 bare LF). */
  rejected: 'rejected',
  /** 421, or the connection closed, before a final reply. */
  dropped: 'dropped',
  /** No reply within the timeout: the server is still reading DATA. */
  timeout: 'timeout',
  /** 554 for commands sent too early: the server saw the rest as unsynchronised pipelining. */
  syncError: 'sync-error',
  /** Without --smuggle: the server ended the data at the fake end and read the rest as commands. */
  endedEarly: 'ended-early',
} as const;
export type Classification = (typeof Classification)[keyof typeof Classification];

/** The replies after the message was written, up to the reply to QUIT, and how the wait ended. */
export interface AfterData {
  replies: readonly Reply[];
  end: 'reply' | 'quit' | 'closed' | 'timeout';
}

export interface Verdict {
  classification: Classification;
  detail: string;
  /** The queue id of the smuggled message, when one was accepted. */
  smuggledQueueId?: string;
}

const isPositive = (reply: Reply) => reply.code >= 200 && reply.code < 300;
const syncError = (reply: Reply) => reply.code === 554 && /synchroni[sz]ation|pipelin/i.test(reply.lines.join(' '));

/** Queue ids as Postfix, Sendmail, Exim, smtp-server and the capture server give them. */
export function queueIdOf(reply: Pick<Reply, 'lines'>): string | undefined {
  const text = reply.lines.join(' ');
  const match = /queued as ([A-Za-z0-9._:-]+)/i.exec(text) ?? /\bid=([A-Za-z0-9._-]+)/.exec(text) ?? /^2\.\d+\.\d+ ([A-Za-z0-9]{8,})\b/.exec(text);
  return match?.[1];
}

/**
 * Reads the replies that followed a non-standard end of data. Everything was written at
 * once, then QUIT: a server that kept the fake end as content answers once, then 221; a
 * server that took it as the end answers the rest (MAIL, RCPT, DATA, the smuggled message)
 * before the 221.
 */
export function classifyAfterData(after: AfterData, smuggle: boolean): Verdict {
  const [first, ...rest] = after.replies;
  if (!first) {
    return after.end === 'timeout'
      ? { classification: Classification.timeout, detail: 'no reply to the end of data: the server is still reading the message' }
      : { classification: Classification.dropped, detail: 'the server closed the connection without a reply to the end of data' };
  }
  const sync = after.replies.find(syncError);
  if (sync) return { classification: Classification.syncError, detail: `${sync.code} ${sync.lines[0] ?? ''}: the server read the rest as commands sent out of turn` };
  const started = rest.findIndex((reply) => reply.code === 354);
  const smuggledEnd = started === -1 ? undefined : rest[started + 1];
  if (smuggle && smuggledEnd && isPositive(smuggledEnd)) {
    const id = queueIdOf(smuggledEnd);
    return {
      classification: Classification.smuggled,
      detail: `the server ended the message at the fake end of data and accepted the second transaction: ${smuggledEnd.code} ${smuggledEnd.lines[0] ?? ''}`,
      ...(id ? { smuggledQueueId: id } : {}),
    };
  }
  if (first.code === 421) return { classification: Classification.dropped, detail: `${first.code} ${first.lines[0] ?? ''}` };
  if (!isPositive(first)) {
    return { classification: Classification.rejected, detail: `${first.code} ${first.lines[0] ?? ''}` };
  }
  if (rest.length > 0) {
    return smuggle
      ? { classification: Classification.rejected, detail: `the server ended the message at the fake end of data but refused the second transaction: ${rest.map((r) => r.code).join(', ')}` }
      : { classification: Classification.endedEarly, detail: `the server ended the message at the fake end of data and read the rest as commands: ${rest.map((r) => r.code).join(', ')}` };
  }
  return { classification: Classification.content, detail: 'one message, one reply: the fake end of data stayed content' };
}
