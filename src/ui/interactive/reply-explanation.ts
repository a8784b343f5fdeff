import { describeEnhancedCode } from '../../smtp/enhanced-status.js';

/**
 * What the basic reply codes mean (RFC 5321 §4.2.2–4.2.3, RFC 3207 §4, RFC 4954 §6,
 * RFC 7504), for negative replies that carry no enhanced status code to explain them.
 */
const replyCodeWords: Record<number, string> = {
  421: 'service not available, the server is closing the connection',
  450: 'mailbox unavailable for now (busy, or a temporary policy block such as greylisting)',
  451: 'local error in processing (often greylisting: try again later)',
  452: 'insufficient system storage, or too many recipients',
  454: 'TLS or authentication temporarily unavailable',
  455: 'the server cannot accommodate these parameters now',
  500: 'syntax error, command unrecognised (or the line is too long)',
  501: 'syntax error in parameters or arguments',
  502: 'command not implemented',
  503: 'bad sequence of commands',
  504: 'command parameter not implemented',
  521: 'this host does not accept mail',
  530: 'authentication (or STARTTLS first) required',
  534: 'authentication mechanism is too weak',
  535: 'authentication credentials invalid',
  538: 'encryption required for the requested authentication mechanism',
  550: 'mailbox unavailable (not found, no access, or refused for policy reasons)',
  551: 'user not local',
  552: 'exceeded storage allocation',
  553: 'mailbox name not allowed',
  554: 'transaction failed (or no SMTP service here)',
  555: 'MAIL FROM/RCPT TO parameters not recognised or not implemented',
};

/**
 * Words to show under a negative reply, beyond what the transcript already says: the
 * transcript formatter explains enhanced codes (and decodes 334 challenges) itself, so
 * only a negative reply without a known enhanced code gets its basic code explained.
 */
export function explainReply(code: number, enhanced: string | undefined): string | undefined {
  if (code < 400) return undefined;
  if (enhanced && describeEnhancedCode(enhanced)) return undefined;
  return `${code}: ${replyCodeWords[code] ?? (code < 500 ? 'temporary failure, try again later' : 'permanent failure')}`;
}
