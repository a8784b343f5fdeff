import { UsageError } from '../errors.js';
import { parseEscaped } from '../smtp/escapes.js';
import { ClientMechanisms, parseClientMechanism, type ClientMechanism } from '../smtp/sasl/client.js';
import { parseTerminatorName, type TerminatorName } from '../smtp/terminators.js';

/**
 * Local commands start with ':' — no SMTP verb can, so nothing a user types is ever
 * swallowed (unlike openssl s_client, which eats lines starting with R, Q, k or K).
 */
export type LocalCommand =
  | { kind: 'starttls' }
  /** `auto`: the strongest mechanism the server offers, as `--auth` alone; no user: `--user`'s. */
  | { kind: 'auth'; mechanism: ClientMechanism | 'auto'; user: string | undefined }
  | { kind: 'raw'; bytes: Buffer }
  | { kind: 'term'; terminator: TerminatorName }
  | { kind: 'data'; file: string }
  | { kind: 'bdat'; file: string; chunkSize: number | undefined }
  | { kind: 'stuff'; on: boolean }
  | { kind: 'quit' }
  | { kind: 'close' }
  | { kind: 'reconnect' }
  | { kind: 'sleep'; ms: number }
  | { kind: 'help' };

/** The longest :sleep, as for --pause: a day. */
export const MAX_SLEEP_MS = 86_400_000;

export const localCommandHelp: ReadonlyArray<readonly [string, string]> = [
  [':starttls', 'upgrade to TLS now (then EHLO again)'],
  [':auth [MECHANISM] [USER]', `authenticate (${ClientMechanisms.map((m) => m.toLowerCase()).join('|')}; none: the strongest offered); USER defaults to --user; password from SMTPDBG_PASSWORD or a prompt, the XOAUTH2 token from SMTPDBG_OAUTH_TOKEN`],
  [':raw ESCAPED', 'send exact bytes; escapes \\r \\n \\t \\0 \\xHH \\\\ (no terminator added)'],
  [':term crlf|cr|lf', 'terminator for the following typed lines'],
  [':data FILE', 'send DATA, then FILE\'s lines ended as :term says (dot-stuffed), then CRLF.CRLF'],
  [':bdat FILE [SIZE]', 'send FILE\'s bytes exactly with BDAT (RFC 3030), in chunks of SIZE octets (default one), the last with LAST'],
  [':stuff on|off', 'dot-stuff DATA lines starting with "." (on by default, RFC 5321 §4.5.2)'],
  [':sleep MS', 'wait MS milliseconds before the next line (meet an idle timeout)'],
  [':close', 'hang up without QUIT'],
  [':reconnect', 'a new connection with the same options (QUIT first if still connected)'],
  [':quit', 'send QUIT and leave'],
  [':help', 'this list'],
];

export function isLocalCommand(line: string): boolean {
  return line.startsWith(':');
}

export function parseLocalCommand(line: string): LocalCommand {
  const body = line.slice(1);
  const space = body.indexOf(' ');
  const name = (space === -1 ? body : body.slice(0, space)).toLowerCase();
  const rest = space === -1 ? '' : body.slice(space + 1);
  const args = rest.trim().split(/\s+/).filter(Boolean);
  switch (name) {
    case 'starttls':
      return { kind: 'starttls' };
    case 'auth': {
      // A first word that names no mechanism is the user: `:auth bob` picks the mechanism as `--auth` alone does.
      const mechanism = parseClientMechanism(args[0] ?? '');
      const users = mechanism ? args.slice(1) : args;
      if (users.length > 1) {
        throw new UsageError(`:auth ${rest.trim()}: expected :auth [MECHANISM] [USER], MECHANISM one of ${ClientMechanisms.map((m) => m.toLowerCase()).join(', ')}`);
      }
      return { kind: 'auth', mechanism: mechanism ?? 'auto', user: users[0] };
    }
    case 'raw':
      if (!rest) throw new UsageError(':raw needs bytes, e.g. :raw MAIL FROM:<a@b>\\n');
      return { kind: 'raw', bytes: parseEscaped(rest, ':raw') };
    case 'term':
      return { kind: 'term', terminator: parseTerminatorName(args[0] ?? '', ':term') };
    case 'data':
      if (!rest.trim()) throw new UsageError(':data needs a file name');
      return { kind: 'data', file: rest.trim() };
    case 'bdat': {
      // The size, if any, is the last word: a file name may hold spaces.
      const sized = /^(.*\S)\s+(\d+)$/.exec(rest.trim());
      const file = sized ? sized[1]! : rest.trim();
      if (!file) throw new UsageError(':bdat needs a file name: :bdat FILE [SIZE]');
      const chunkSize = sized ? Number(sized[2]) : undefined;
      if (chunkSize === 0) throw new UsageError(':bdat SIZE must be at least 1 octet');
      return { kind: 'bdat', file, chunkSize };
    }
    case 'stuff':
      if (args[0] !== 'on' && args[0] !== 'off') throw new UsageError(':stuff needs on or off');
      return { kind: 'stuff', on: args[0] === 'on' };
    case 'quit':
      return { kind: 'quit' };
    case 'close':
      return { kind: 'close' };
    case 'reconnect':
      return { kind: 'reconnect' };
    case 'sleep': {
      const ms = /^\d+$/.test(args[0] ?? '') ? Number(args[0]) : NaN;
      if (!(ms <= MAX_SLEEP_MS)) throw new UsageError(`:sleep needs milliseconds, 0 to ${MAX_SLEEP_MS}: :sleep MS`);
      return { kind: 'sleep', ms };
    }
    case 'help':
      return { kind: 'help' };
    default:
      throw new UsageError(`unknown local command :${name} (try :help; to send a line starting with ':' use :raw)`);
  }
}
