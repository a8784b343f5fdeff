import { base64Utf8 } from '../smtp/auth.js';
import { parseBdatArgument } from '../smtp/bdat-command.js';
import { describeAttributes, parseForwardAttributes, XCLIENT_ATTRIBUTES, XFORWARD_ATTRIBUTES } from '../smtp/xclient.js';
import { offeredMechanisms, parseServerMechanism, serverSasl, type AuthExchange } from './auth-exchange.js';
import type { Decision, ReplySpec } from './behaviour.js';
import { MAX_RECIPIENTS } from './defaults.js';
import type { HandlerContext } from './handler-context.js';
import { reply } from './replies.js';

/**
 * One handler per verb, as in nodemailer's smtp-connection. A handler gets the argument
 * text and the behaviour's decision (already checked for a replacement reply or a close,
 * so what is left is "close after the reply" or an abort of TLS) and sends the reply.
 */
export type CommandHandler = (session: HandlerContext, argument: string, decision: Decision | undefined) => Promise<void> | void;

const badSequence = (what: string) => reply(503, '5.5.1', `Error: ${what}`);
/** RFC 2033 §4.1: an LMTP client greets with LHLO. */
const greetFirst = (session: HandlerContext) => badSequence(`send ${session.settings.lmtp ? 'LHLO' : 'HELO/EHLO'} first`);

/** EHLO keywords (RFC 5321 §4.1.1.1 and the extension RFCs named beside each). */
function ehloKeywords(session: HandlerContext): readonly string[] {
  const options = session.settings;
  const keywords = [
    'PIPELINING', // RFC 2920
    `SIZE ${options.maxMessageSize}`, // RFC 1870
    ...(options.tlsAvailable && !session.tls ? ['STARTTLS'] : []), // RFC 3207
    // RFC 4954 §3; any credentials are accepted unless --auth-users names the accounts.
    `AUTH ${offeredMechanisms(options.authUsers).join(' ')}`,
    'ENHANCEDSTATUSCODES', // RFC 2034
    '8BITMIME', // RFC 6152
    'SMTPUTF8', // RFC 6531
    // RFC 3030: content is stored byte for byte, so binary content (BINARYMIME) fits too.
    'CHUNKING',
    'BINARYMIME',
    ...(options.xclient ? [`XCLIENT ${XCLIENT_ATTRIBUTES.join(' ')}`, `XFORWARD ${XFORWARD_ATTRIBUTES.join(' ')}`] : []),
    'HELP',
  ];
  return options.behaviour.capabilities?.(session.connection, keywords) ?? keywords;
}

/**
 * Whether the EHLO reply offers `keyword` (a scenario may have removed or added it): a
 * command of an extension that is not offered is answered as a server without it answers.
 */
function offers(session: HandlerContext, keyword: string): boolean {
  return ehloKeywords(session).some((k) => k.split(' ')[0]!.toUpperCase() === keyword);
}

/** The verb as a client sent it, in a 500: its case may be the very thing being debugged. */
export const unrecognized = (given: string) => reply(500, '5.5.1', `Command unrecognized: ${JSON.stringify(given.slice(0, 40))}`);

function greet(session: HandlerContext, argument: string, decision: Decision | undefined, verb: 'EHLO' | 'HELO' | 'LHLO'): void {
  // RFC 2033 §4.1: an LMTP server answers HELO and EHLO with 500; an SMTP server knows no LHLO.
  if ((verb === 'LHLO') !== session.settings.lmtp) {
    session.finish(decision, verb === 'LHLO' ? unrecognized(verb) : reply(500, '5.5.1', `Error: this server speaks LMTP: send LHLO, not ${verb}`));
    return;
  }
  const extended = verb !== 'HELO';
  const name = argument.trim();
  if (name === '') {
    session.finish(decision, reply(501, '5.5.4', `Syntax: ${verb} hostname`));
    return;
  }
  // RFC 5321 §4.1.4: EHLO in the middle of a transaction resets it, like RSET.
  session.resetTransaction();
  session.helo = name;
  session.state = 'ready';
  const first = `${session.settings.hostname} greets ${name}`;
  session.finish(decision, extended ? reply(250, undefined, first, ...ehloKeywords(session)) : reply(250, undefined, first));
}

/** `<address>` and the ESMTP parameters after it (RFC 5321 §4.1.2), leniently: a space after the colon is allowed. */
export function parsePath(argument: string, keyword: 'FROM' | 'TO'): { address: string; parameters: string[] } | undefined {
  const match = new RegExp(`^${keyword}:\\s*<([^<>]*)>(.*)$`, 'i').exec(argument);
  if (!match) return undefined;
  return { address: match[1]!, parameters: match[2]!.trim().split(/\s+/).filter(Boolean) };
}

const mail: CommandHandler = (session, argument, decision) => {
  if (session.state === 'greeting') return session.finish(decision, greetFirst(session));
  if (session.state !== 'ready') return session.finish(decision, badSequence('nested MAIL command'));
  const path = parsePath(argument, 'FROM');
  if (!path) return session.finish(decision, reply(501, '5.5.4', 'Syntax: MAIL FROM:<address>'));
  let binaryMime = false;
  for (const parameter of path.parameters) {
    const [name = '', value] = parameter.split('=', 2);
    switch (name.toUpperCase()) {
      case 'SIZE':
        // RFC 1870 §6.2: refuse at MAIL when the declared size is already too big.
        if (!/^\d+$/.test(value ?? '')) return session.finish(decision, reply(501, '5.5.4', 'Bad SIZE parameter'));
        if (Number(value) > session.settings.maxMessageSize) {
          return session.finish(decision, reply(552, '5.3.4', `Message size exceeds fixed maximum message size (${session.settings.maxMessageSize})`));
        }
        break;
      case 'BODY':
        if (!/^(7BIT|8BITMIME|BINARYMIME)$/i.test(value ?? '')) return session.finish(decision, reply(501, '5.5.4', 'Bad BODY parameter'));
        // RFC 3030 §3: only when offered.
        if (/^BINARYMIME$/i.test(value ?? '') && !offers(session, 'BINARYMIME')) return session.finish(decision, reply(555, '5.5.4', 'Unsupported option: BODY=BINARYMIME'));
        binaryMime = /^BINARYMIME$/i.test(value ?? '');
        break;
      case 'SMTPUTF8':
      case 'AUTH':
        break;
      default:
        // RFC 5321 §4.1.1.11: parameters of extensions not offered get 555.
        return session.finish(decision, reply(555, '5.5.4', `Unsupported option: ${name}`));
    }
  }
  session.from = path.address;
  session.binaryMime = binaryMime;
  session.state = 'mail';
  session.finish(decision, reply(250, '2.1.0', 'Ok'));
};

const rcpt: CommandHandler = (session, argument, decision) => {
  if (session.state !== 'mail' && session.state !== 'rcpt') return session.finish(decision, badSequence('need MAIL command'));
  const path = parsePath(argument, 'TO');
  if (!path) return session.finish(decision, reply(501, '5.5.4', 'Syntax: RCPT TO:<address>'));
  if (path.address === '') return session.finish(decision, reply(501, '5.1.3', 'Bad recipient address syntax'));
  if (path.parameters.length > 0) return session.finish(decision, reply(555, '5.5.4', `Unsupported option: ${path.parameters[0]}`));
  if (session.to.length >= MAX_RECIPIENTS) return session.finish(decision, reply(452, '4.5.3', 'Error: too many recipients'));
  session.to.push(path.address);
  session.state = 'rcpt';
  session.finish(decision, reply(250, '2.1.5', 'Ok (accepted and kept here; nothing is relayed)'));
};

const data: CommandHandler = (session, argument, decision) => {
  // RFC 3030 §2: a transaction's content comes by DATA or by BDAT, never both.
  if (session.state === 'bdat') return session.finish(decision, badSequence('DATA after BDAT in the same transaction'));
  if (session.state !== 'rcpt') return session.finish(decision, badSequence(session.state === 'mail' ? 'need RCPT command' : 'need MAIL command'));
  if (argument !== '') return session.finish(decision, reply(501, '5.5.4', 'Syntax: DATA takes no argument'));
  // RFC 3030 §3: BINARYMIME content cannot be sent by DATA.
  if (session.binaryMime) return session.finish(decision, badSequence('BODY=BINARYMIME requires BDAT'));
  session.finish(decision, reply(354, undefined, 'End data with <CR><LF>.<CR><LF>'));
  session.beginData();
};

const startTls: CommandHandler = async (session, argument, decision) => {
  if (!session.settings.tlsAvailable) return session.finish(decision, reply(502, '5.5.1', 'Error: command not implemented'));
  if (session.tls) return session.finish(decision, badSequence('TLS already active'));
  if (argument !== '') return session.finish(decision, reply(501, '5.5.4', 'Syntax: STARTTLS takes no argument'));
  session.sendReply(reply(220, '2.0.0', 'Ready to start TLS'));
  await session.upgradeToTls(decision?.abortTls ?? false);
};

function decodeBase64(text: string): string | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return Buffer.from(text, 'base64').toString('utf8');
}

/**
 * A 334 challenge (RFC 4954 §4): `continue-req = "334" SP [base64] CRLF`. The space stays
 * when the challenge is empty, as Postfix sends it; the reply formatter would trim it.
 */
function challenge(text: string): ReplySpec {
  return text === '' ? { code: 334, lines: [''], raw: Buffer.from('334 \r\n', 'latin1') } : reply(334, undefined, base64Utf8(text));
}

/** Ends the exchange with a reply that is not a 235: the client may start another. */
function endAuth(session: HandlerContext, decision: Decision | undefined, spec: ReplySpec): void {
  session.auth = undefined;
  session.state = 'ready';
  session.finish(decision, spec);
}

/**
 * Consumes one AUTH response (RFC 4954 §4): "*" cancels, a line that is not base64 ends the
 * exchange with 501, anything else goes to the mechanism (src/server/auth-exchange.ts).
 */
export async function authResponse(session: HandlerContext, response: string): Promise<void> {
  const exchange = session.auth;
  if (!exchange) return;
  if (response === '*') return endAuth(session, undefined, reply(501, '5.7.0', 'Authentication cancelled'));
  const pending = exchange.pending;
  if (pending) {
    // RFC 4954 §4: the line answering the 334 that carried the mechanism's last data (SCRAM's
    // server signature, XOAUTH2's error) gets the outcome.
    if (pending.code === 535) return endAuth(session, pending.decision, reply(535, '5.7.8', pending.message));
    return authenticated(session, pending.user, pending.message, pending.decision);
  }
  const decoded = decodeBase64(response);
  if (decoded === undefined) return endAuth(session, undefined, reply(501, '5.5.2', 'Cannot decode response (not base64)'));
  const step = exchange.sasl.respond(decoded);
  if (step.kind === 'challenge') return session.sendReply(challenge(step.text));
  if (step.kind === 'malformed') {
    session.info(`AUTH ${exchange.sasl.mechanism}: ${step.why}`);
    return endAuth(session, undefined, reply(501, '5.5.2', `Malformed ${exchange.sasl.mechanism} response`));
  }
  const { user, verdict } = step;
  const mechanism = exchange.sasl.mechanism;
  session.auth = undefined;
  session.state = 'ready';
  // A scenario's rule for "auth" sees every complete exchange and may answer in its place.
  const decision = await session.settings.behaviour.onAuth?.({ ...session.connection, mechanism, user });
  if (await session.preempt(decision)) return;
  if (!verdict.ok) {
    session.info(`AUTH ${mechanism} as ${JSON.stringify(user)} refused: ${verdict.why}`);
    if (verdict.challenge === undefined) return session.finish(decision, reply(535, '5.7.8', 'Authentication credentials invalid'));
    return lastChallenge(session, exchange, verdict.challenge, { code: 535, user, message: 'Authentication credentials invalid', decision });
  }
  const note = `authenticated as ${JSON.stringify(user)} with ${mechanism} (${verdict.how})`;
  if (verdict.final === undefined) return authenticated(session, user, note, decision);
  lastChallenge(session, exchange, verdict.final, { code: 235, user, message: note, decision });
}

/** A 334 with the mechanism's last data; the client's answer to it gets `pending`. */
function lastChallenge(session: HandlerContext, exchange: AuthExchange, text: string, pending: NonNullable<AuthExchange['pending']>): void {
  session.auth = { ...exchange, pending };
  session.state = 'auth';
  session.sendReply(challenge(text));
}

function authenticated(session: HandlerContext, user: string, note: string, decision: Decision | undefined): void {
  session.auth = undefined;
  session.state = 'ready';
  session.authenticatedAs = user;
  session.info(note);
  session.finish(decision, reply(235, '2.7.0', 'Authentication successful'));
}

const auth: CommandHandler = (session, argument, decision) => {
  if (session.state === 'greeting') return session.finish(decision, greetFirst(session));
  // RFC 4954 §4: AUTH is not allowed during a mail transaction, nor after success.
  if (session.state !== 'ready') return session.finish(decision, badSequence('MAIL transaction in progress'));
  if (session.authenticatedAs !== undefined) return session.finish(decision, badSequence('already authenticated'));
  const [mechanism = '', initial] = argument.split(/[ \t]+/, 2);
  const users = session.settings.authUsers;
  const name = parseServerMechanism(mechanism, users);
  if (name === undefined) {
    // SCRAM's server must know the password (RFC 5802 §3): without a users file it is not offered.
    const why = mechanism.toUpperCase() === 'SCRAM-SHA-256' ? ' (SCRAM-SHA-256 needs --auth-users)' : '';
    return session.finish(decision, reply(504, '5.5.4', `Unrecognized authentication type${why}`));
  }
  const sasl = serverSasl(name, users, session.settings.hostname);
  if (initial !== undefined && !sasl.takesInitialResponse) {
    return session.finish(decision, reply(501, '5.5.2', `${name} takes no initial response (the server speaks first)`));
  }
  session.auth = { sasl };
  session.state = 'auth';
  // RFC 4954 §4: "=" is an empty initial response.
  if (initial !== undefined) return authResponse(session, initial === '=' ? '' : initial);
  session.sendReply(challenge(sasl.firstChallenge));
};

/**
 * BDAT (RFC 3030 §2). Its octets follow the command whatever the answer, so every answer that
 * knows the chunk size is given after reading them; only a size that is not a number, which
 * leaves the end of the chunk unknown, is answered at once and the connection closed.
 * Called before the behaviour's decision is applied: the decision waits for the octets too.
 */
const bdat: CommandHandler = async (session, argument, decision) => {
  if (!offers(session, 'CHUNKING')) {
    // A server without CHUNKING does not know the chunk follows: its octets are read as commands.
    if (await session.preempt(decision)) return;
    return session.finish(decision, unrecognized('BDAT'));
  }
  const parsed = parseBdatArgument(argument);
  if (!parsed.ok && parsed.size === undefined) {
    if (await session.preempt(decision)) return;
    session.info(`BDAT: ${parsed.reason}; the chunk's end cannot be found, so nothing after it could be read as a command: closing (RFC 3030 §2)`);
    session.sendReply(reply(501, '5.5.4', 'Syntax: BDAT chunk-size [LAST]'));
    session.closeAfterReply('BDAT with a chunk size that is not a number');
    return;
  }
  // Known here: only a size that is not a number has none, and that case returned above.
  const size = parsed.size!;
  const last = parsed.ok && parsed.last;
  const refusal = !parsed.ok ? reply(501, '5.5.4', `Syntax: BDAT chunk-size [LAST] (${parsed.reason})`)
    : session.state === 'greeting' ? greetFirst(session)
    : session.state === 'ready' ? badSequence('need MAIL command')
    : session.state === 'mail' ? badSequence('need RCPT command')
    : undefined;
  session.beginChunk(size, last, refusal, decision);
};

/**
 * Postfix's XCLIENT: the client (a proxy or filter) says who the real client is. Like
 * Postfix, the server answers with a new 220 greeting and starts the session over (the
 * client must EHLO again); it is refused inside a mail transaction.
 */
const xclient: CommandHandler = (session, argument, decision) => {
  if (!offers(session, 'XCLIENT')) return refuseForwarding(session, 'XCLIENT', decision);
  if (session.state !== 'ready' && session.state !== 'greeting') return session.finish(decision, badSequence('MAIL transaction in progress'));
  const parsed = parseForwardAttributes(argument, XCLIENT_ATTRIBUTES);
  if (!parsed.ok) return session.finish(decision, reply(501, '5.5.4', `Bad XCLIENT attribute: ${parsed.reason}`));
  session.xclient = parsed.attributes;
  session.info(`XCLIENT: ${describeAttributes(parsed.attributes)} (the client speaks for another; the session starts over)`);
  session.resetTransaction();
  session.helo = undefined;
  session.authenticatedAs = undefined;
  session.state = 'greeting';
  session.finish(decision, session.greeting());
};

/** Postfix's XFORWARD: attributes of the original client for the next transaction only. */
const xforward: CommandHandler = (session, argument, decision) => {
  if (!offers(session, 'XFORWARD')) return refuseForwarding(session, 'XFORWARD', decision);
  if (session.state === 'greeting') return session.finish(decision, greetFirst(session));
  if (session.state !== 'ready') return session.finish(decision, badSequence('MAIL transaction in progress'));
  const parsed = parseForwardAttributes(argument, XFORWARD_ATTRIBUTES);
  if (!parsed.ok) return session.finish(decision, reply(501, '5.5.4', `Bad XFORWARD attribute: ${parsed.reason}`));
  Object.assign(session.xforward, parsed.attributes);
  session.info(`XFORWARD: ${describeAttributes(parsed.attributes)}`);
  session.finish(decision, reply(250, '2.0.0', 'Ok'));
};

/** What Postfix answers a client not in its authorized_xclient_hosts / xforward_hosts. */
function refuseForwarding(session: HandlerContext, verb: string, decision: Decision | undefined): void {
  session.info(`${verb} is not offered: it is accepted with serve --xclient or --scenario xclient`);
  session.finish(decision, reply(550, '5.7.0', 'Error: insufficient authorization'));
}

const quit: CommandHandler = (session) => {
  session.sendReply(reply(221, '2.0.0', 'Bye'));
  session.closeAfterReply('closed after QUIT');
};

export const commandHandlers: Partial<Record<string, CommandHandler>> = {
  EHLO: (session, argument, decision) => greet(session, argument, decision, 'EHLO'),
  HELO: (session, argument, decision) => greet(session, argument, decision, 'HELO'),
  LHLO: (session, argument, decision) => greet(session, argument, decision, 'LHLO'),
  BDAT: bdat,
  XCLIENT: xclient,
  XFORWARD: xforward,
  MAIL: mail,
  RCPT: rcpt,
  DATA: data,
  STARTTLS: startTls,
  AUTH: auth,
  RSET: (session, _argument, decision) => {
    session.resetTransaction();
    session.finish(decision, reply(250, '2.0.0', 'Ok'));
  },
  NOOP: (session, _argument, decision) => session.finish(decision, reply(250, '2.0.0', 'Ok')),
  HELP: (session, _argument, decision) =>
    session.finish(decision, reply(214, '2.0.0',
      'smtpdbg capture server: shows the bytes it receives and keeps every message here.',
      session.settings.authUsers
        ? 'It accepts any recipient, checks AUTH against its list of accounts, and never relays anything.'
        : 'It accepts any recipient and any credentials, and never relays anything.',
      `Commands: ${session.settings.lmtp ? 'LHLO' : 'EHLO HELO'} STARTTLS AUTH MAIL RCPT DATA BDAT RSET NOOP VRFY HELP QUIT${session.settings.xclient ? ' XCLIENT XFORWARD' : ''}`)),
  // RFC 5321 §3.5.3: 252 when the server will not verify but would accept the address.
  VRFY: (session, _argument, decision) => session.finish(decision, reply(252, '2.5.0', 'Cannot VRFY user; any recipient is accepted (nothing is relayed)')),
  QUIT: quit,
};
