import type { BdatProbeName } from '../smtp/bdat.js';
import { formatReplyShort, type Reply } from '../smtp/reply.js';

/** What a server did with a non-standard end of data (`--smuggle`, `--eod all`). */
export const Classification = {
  /** A second message, written behind the fake end, was accepted. */
  smuggled: 'smuggled',
  /**
   * With --smuggle: the server ended the message at the fake end (its reply came, then
   * replies to what followed), but refused the second transaction. The first message was
   * stored cut short, and the server reads what follows a fake end as commands.
   */
  endedEarlyRefused: 'ended-early-refused',
  /** Without --smuggle: the server ended the data at the fake end and read the rest as commands. */
  endedEarly: 'ended-early',
  /**
   * One message accepted and no reply to anything after it: the server did not end the
   * message at the fake end. What it stored (the fake end kept, rewritten or dropped) is
   * not in the replies.
   */
  content: 'content',
  /** The message was refused (e.g. 550 bare LF). */
  rejected: 'rejected',
  /** 421, or the connection closed, before a final reply. */
  dropped: 'dropped',
  /** No reply within the timeout: the server is still reading DATA. */
  timeout: 'timeout',
  /** 554 for commands sent too early, in place of a reply to the message. */
  syncError: 'sync-error',
  /**
   * BDAT `shorter`: the server took exactly the declared size and read what followed as
   * commands (RFC 3030 §2) — right, and what a filter in front of it must do the same way.
   */
  counted: 'counted',
  /** BDAT `shorter`: the server took more than the declared size into the message. */
  overRead: 'over-read',
  /** BDAT `data-after-bdat`: DATA in a BDAT transaction refused (RFC 3030 §2 forbids mixing). */
  sequenceRefused: 'sequence-refused',
  /** BDAT `data-after-bdat`: the server answered DATA with 354 inside a BDAT transaction. */
  dataAfterBdat: 'data-after-bdat',
} as const;
export type Classification = (typeof Classification)[keyof typeof Classification];

/** The classes that prove the server ends a message at a non-standard end of data: findings (exit 1). */
export const findingClasses: ReadonlySet<Classification> = new Set([
  Classification.smuggled,
  Classification.endedEarlyRefused,
  Classification.endedEarly,
  Classification.overRead,
  Classification.dataAfterBdat,
]);

/**
 * The replies after the message was written, in order, up to (not including) the 221 that
 * ended the conversation, and how the wait ended.
 */
export interface AfterData {
  replies: readonly Reply[];
  end: 'reply' | 'quit' | 'closed' | 'timeout';
  /** The 221 that ended it (the answer to our QUIT, or the server's own goodbye). */
  closing?: Reply;
}

/** One reply after the write and what it answered. */
export interface AfterReply {
  role: string;
  reply: Reply;
}

export interface Verdict {
  classification: Classification;
  detail: string;
  /** Every reply after the write, with what it answered. */
  replies: AfterReply[];
  /** Replies of 2xx to an end of data (the first message's and the smuggled one's). */
  acceptedMessages: number;
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

export const Role = {
  endOfData: 'end of data',
  smuggledMail: 'MAIL (smuggled)',
  smuggledRcpt: 'RCPT (smuggled)',
  smuggledData: 'DATA (smuggled)',
  smuggledEnd: 'end of data (smuggled)',
  smuggledLine: 'a line of the smuggled message, read as a command',
  afterSmuggled: 'after the smuggled message',
  afterFakeEnd: 'a line after the fake end of data, read as a command',
} as const;

/**
 * What each reply answered, from the order a server that ends the message at the fake end
 * answers in: the message, then (with --smuggle) MAIL, each RCPT, DATA, and either the
 * smuggled message's end (after a 354) or, DATA refused, each line of the smuggled message
 * taken for a command. Without --smuggle, the lines after the fake end (the standard end
 * of data that follows it) are taken for commands.
 */
export function rolesOf(replies: readonly Reply[], smuggle: boolean, smuggledTo: number): AfterReply[] {
  const roles: string[] = [Role.endOfData];
  if (smuggle) {
    roles.push(Role.smuggledMail, ...Array.from({ length: smuggledTo }, () => Role.smuggledRcpt), Role.smuggledData);
  }
  const dataAt = roles.length - 1;
  return replies.map((reply, i) => {
    if (i < roles.length) return { role: roles[i]!, reply };
    if (!smuggle) return { role: Role.afterFakeEnd, reply };
    const dataAccepted = replies[dataAt]?.code === 354;
    if (!dataAccepted) return { role: Role.smuggledLine, reply };
    return { role: i === dataAt + 1 ? Role.smuggledEnd : Role.afterSmuggled, reply };
  });
}

/** "smuggled MAIL: 250 2.1.0 Ok; 7 lines of the smuggled message, read as commands: 502 ×7". */
function describeReplies(replies: readonly AfterReply[], closing: Reply | undefined): string {
  const parts: string[] = [];
  for (let i = 0; i < replies.length; ) {
    const { role } = replies[i]!;
    let j = i;
    while (j < replies.length && replies[j]!.role === role) j++;
    const run = replies.slice(i, j);
    if (run.length === 1 || (role !== Role.smuggledLine && role !== Role.afterFakeEnd && role !== Role.afterSmuggled)) {
      for (const r of run) parts.push(`${r.role}: ${formatReplyShort(r.reply)}`);
    } else {
      const codes = new Map<number, number>();
      for (const r of run) codes.set(r.reply.code, (codes.get(r.reply.code) ?? 0) + 1);
      const plural = role === Role.smuggledLine
        ? `${run.length} lines of the smuggled message, read as commands`
        : role === Role.afterFakeEnd ? `${run.length} lines after the fake end of data, read as commands` : `${run.length} replies after the smuggled message`;
      parts.push(`${plural}: ${[...codes].map(([code, n]) => `${code} ×${n}`).join(', ')} (first: ${formatReplyShort(run[0]!.reply)})`);
    }
    i = j;
  }
  if (closing) parts.push(`then ${formatReplyShort(closing)}`);
  return parts.join('; ');
}

/**
 * Reads the replies that followed a non-standard end of data. Everything was written at
 * once, then QUIT after the first reply: a server that did not end the message at the fake
 * end answers once, then 221; a server that did answers the rest (MAIL, RCPT, DATA, the
 * smuggled message) before its 221. The class rests on what the replies prove: how many
 * messages got a 2xx to an end of data, and whether anything after the first reply was
 * answered at all.
 */
export function classifyAfterData(after: AfterData, smuggle: boolean, smuggledTo = 1): Verdict {
  const replies = rolesOf(after.replies, smuggle, smuggledTo);
  const acceptedMessages = replies.filter((r) => (r.role === Role.endOfData || r.role === Role.smuggledEnd) && isPositive(r.reply)).length;
  const verdict = (classification: Classification, detail: string, extra: Partial<Verdict> = {}): Verdict => ({ classification, detail, replies, acceptedMessages, ...extra });
  const first = replies[0]?.reply;
  if (!first) {
    return after.end === 'timeout'
      ? verdict(Classification.timeout, 'no reply to the end of data: the server is still reading the message')
      : verdict(Classification.dropped, 'the server closed the connection without a reply to the end of data');
  }
  const said = describeReplies(replies, after.closing);
  const smuggledEnd = replies.find((r) => r.role === Role.smuggledEnd);
  if (smuggledEnd && isPositive(smuggledEnd.reply)) {
    const id = queueIdOf(smuggledEnd.reply);
    return verdict(Classification.smuggled, `the server ended the message at the fake end of data and accepted the second transaction (${acceptedMessages} messages accepted for one DATA): ${said}`, id ? { smuggledQueueId: id } : {});
  }
  const readOn = replies.length > 1;
  if (isPositive(first) && readOn) {
    return smuggle
      ? verdict(Classification.endedEarlyRefused, `the server ended the message at the fake end of data (the first message was accepted cut there) and read the rest as commands, but the second transaction was not accepted: ${said}`)
      : verdict(Classification.endedEarly, `the server ended the message at the fake end of data and read the rest as commands: ${said}`);
  }
  if (syncError(first)) return verdict(Classification.syncError, `${said}: the server read the message as commands sent out of turn`);
  if (first.code === 421) return verdict(Classification.dropped, said);
  if (!isPositive(first)) return verdict(Classification.rejected, said);
  const ended = after.end === 'quit' ? '' : after.end === 'closed' ? '; then the server closed the connection' : '; then no reply to QUIT';
  const id = queueIdOf(first);
  return verdict(
    Classification.content,
    `one message accepted (${formatReplyShort(first)})${ended}; the server did not end the message at the fake end. The replies do not show what it stored there (the fake end kept, rewritten or dropped): read the delivered copy${id ? ` (queue id ${id})` : ''}`,
  );
}

/**
 * What a server did with a BDAT probe (see bdatProbe): `fake-eod` and `longer` are read as
 * the DATA probes are (a server that counts octets answers the chunk once); `shorter` the
 * other way round (a server that counts reads the second transaction as commands);
 * `zero-last` and `data-after-bdat` by the reply to their second command.
 */
export function classifyBdatProbe(probe: BdatProbeName, after: AfterData, smuggledTo: number): Verdict {
  switch (probe) {
    case 'fake-eod':
      return classifyAfterData(after, true, smuggledTo);
    case 'longer':
      return classifyAfterData(after, false, smuggledTo);
    case 'shorter': {
      const verdict = classifyAfterData(after, true, smuggledTo);
      if (verdict.classification === Classification.smuggled || verdict.classification === Classification.endedEarlyRefused) {
        return { ...verdict, classification: Classification.counted, detail: `the server took exactly the declared size and read what followed as commands (RFC 3030 §2): ${describeReplies(verdict.replies, after.closing)}` };
      }
      if (verdict.classification === Classification.content) {
        return { ...verdict, classification: Classification.overRead, detail: `one reply for the chunk and nothing for the transaction after it: the server took more than the declared size into the message: ${describeReplies(verdict.replies, after.closing)}` };
      }
      return verdict;
    }
    case 'zero-last':
    case 'data-after-bdat': {
      const second = probe === 'zero-last' ? 'BDAT 0 LAST' : 'DATA after BDAT';
      const replies: AfterReply[] = after.replies.map((reply, i) => ({ role: i === 0 ? 'BDAT' : i === 1 ? second : Role.afterFakeEnd, reply }));
      const acceptedMessages = probe === 'zero-last' && replies[1] && isPositive(replies[1].reply) ? 1 : 0;
      const verdict = (classification: Classification, detail: string): Verdict => ({ classification, detail, replies, acceptedMessages });
      const said = describeReplies(replies, after.closing);
      const reply = replies[1]?.reply;
      if (!reply) {
        return after.end === 'timeout' ? verdict(Classification.timeout, `no reply to ${second}: ${said}`) : verdict(Classification.dropped, `the server closed the connection before answering ${second}: ${said}`);
      }
      if (probe === 'zero-last') return isPositive(reply) ? verdict(Classification.content, `the empty last chunk ended the message: ${said}`) : verdict(Classification.rejected, said);
      if (reply.code === 354) return verdict(Classification.dataAfterBdat, `the server took DATA inside a BDAT transaction (RFC 3030 §2 forbids it): ${said}`);
      return verdict(Classification.sequenceRefused, `DATA refused inside a BDAT transaction, as RFC 3030 §2 requires: ${said}`);
    }
  }
}
