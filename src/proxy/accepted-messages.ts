import type { Reply } from '../smtp/reply.js';

/**
 * Counts the messages a server accepted for one DATA command of the application. While a
 * server takes message content it sends nothing, so the reply that follows a 354 is always
 * its reply to an end of data, whatever it took as one (RFC 5321 §4.1.1.4 allows only
 * CRLF.CRLF). A server that ended the message early, at a bare-LF "." line inside what the
 * application sent as content, then read what followed as commands: its replies run on —
 * 250 for the MAIL, RCPT, 354 for a DATA, and one more end-of-data reply. Two accepted
 * end-of-data replies for one DATA is SMTP smuggling (CVE-2023-51766 and its relatives).
 *
 * Fed every upstream reply in order, whether the relay was waiting for it or not.
 */
export class AcceptedMessages {
  private accepted: Reply[] = [];
  private afterData = false;

  /** The relay passed on a DATA command of the application's: a new count begins. */
  dataCommand(): void {
    this.accepted = [];
    this.afterData = false;
  }

  /**
   * Every upstream reply, in order. Returns the accepting replies when this one makes them
   * more than one for the current DATA command.
   */
  reply(reply: Pick<Reply, 'code' | 'lines' | 'raw' | 'enhanced'>): Reply[] | undefined {
    const endOfData = this.afterData;
    this.afterData = reply.code === 354;
    if (!endOfData || reply.code < 200 || reply.code >= 300) return undefined;
    this.accepted.push(reply);
    return this.accepted.length > 1 ? [...this.accepted] : undefined;
  }
}
