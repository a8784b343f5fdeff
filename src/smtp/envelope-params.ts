import { UsageError } from '../errors.js';
import { hasExtension, sizeLimit, type Capabilities } from './capabilities.js';

/**
 * MAIL FROM and RCPT TO parameters (RFC 5321 §4.1.2 esmtp-param), built and checked
 * without I/O: which EHLO extension each one needs, xtext encoding, and the one-line
 * usage note when the server did not advertise what a parameter needs.
 */

/** One parameter: `KEYWORD` or `KEYWORD=value`, the extension it needs, and the option it came from. */
export interface EnvelopeParam {
  keyword: string;
  value: string | undefined;
  /** The EHLO keyword that must be advertised before the parameter may be sent. */
  extension: string;
  /** The option that asked for it, for the usage note. */
  option: string;
}

export const BodyTypes = ['7BIT', '8BITMIME', 'BINARYMIME'] as const;
export type BodyType = (typeof BodyTypes)[number];

/** The parameters a user asked for, as typed settings (no option names below src/cli except in notes). */
export interface EnvelopeRequest {
  /** `--mail-param`, as given: `KEYWORD` or `KEYWORD=value`. */
  mailParams: string[];
  /** `--rcpt-param`, sent with every RCPT. */
  rcptParams: string[];
  bodyType?: BodyType;
  smtputf8?: boolean;
  dsnRet?: 'FULL' | 'HDRS';
  dsnEnvid?: string;
  dsnNotify?: string;
  /** One original recipient per --to, in order (RFC 3461 §4.2). */
  dsnOrcpt?: string[];
  requireTls?: boolean;
  /** Send parameters whose extension the server did not advertise. */
  force: boolean;
}

/**
 * Which extension a parameter keyword belongs to. BODY depends on its value (RFC 6152 §2
 * for 8BITMIME, RFC 3030 §3 for BINARYMIME); the DSN keywords are RFC 3461 §4; a keyword not
 * listed needs the extension of its own name, which is how most extensions name theirs.
 */
const extensionOfKeyword: Record<string, string> = {
  SIZE: 'SIZE',
  SMTPUTF8: 'SMTPUTF8',
  RET: 'DSN',
  ENVID: 'DSN',
  NOTIFY: 'DSN',
  ORCPT: 'DSN',
  REQUIRETLS: 'REQUIRETLS',
  AUTH: 'AUTH',
  BY: 'DELIVERBY',
  HOLDFOR: 'FUTURERELEASE',
  HOLDUNTIL: 'FUTURERELEASE',
  'MT-PRIORITY': 'MT-PRIORITY',
  MTRK: 'MTRK',
  RRVS: 'RRVS',
};

export function extensionFor(keyword: string, value: string | undefined): string {
  const upper = keyword.toUpperCase();
  if (upper === 'BODY') return value?.toUpperCase() === 'BINARYMIME' ? 'BINARYMIME' : '8BITMIME';
  return extensionOfKeyword[upper] ?? upper;
}

/**
 * xtext (RFC 3461 §4): "+", "=" and every octet outside "!" to "~" become "+" and two
 * upper-case hex digits. Text is taken as UTF-8, so a non-ASCII value is encoded octet by octet.
 */
export function xtextEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += byte < 0x21 || byte > 0x7e || byte === 0x2b || byte === 0x3d ? `+${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  }
  return out;
}

/** The reverse of xtextEncode; undefined when the text is not valid xtext (a "+" without two upper-case hex digits). */
export function xtextDecode(text: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x2b) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (code < 0x21 || code > 0x7e || code === 0x3d) {
      return undefined;
    } else {
      bytes.push(code);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

const esmtpKeyword = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
// RFC 5321 §4.1.2: esmtp-value is any printable ASCII but "=" and SP.
const esmtpValue = /^[\x21-\x3c\x3e-\x7e]+$/;

/** `--mail-param KEYWORD[=value]`: checked against RFC 5321 §4.1.2 so that no malformed line goes out by accident. */
export function parseRawParam(text: string, option: string): EnvelopeParam {
  const eq = text.indexOf('=');
  const keyword = eq === -1 ? text : text.slice(0, eq);
  const value = eq === -1 ? undefined : text.slice(eq + 1);
  if (!esmtpKeyword.test(keyword)) throw new UsageError(`${option} ${JSON.stringify(text)}: the keyword must be letters, digits and "-" (RFC 5321 §4.1.2)`);
  if (value !== undefined && !esmtpValue.test(value)) {
    throw new UsageError(`${option} ${JSON.stringify(text)}: a value is printable ASCII without spaces or "=" (RFC 5321 §4.1.2; xtext-encode it)`);
  }
  return { keyword: keyword.toUpperCase(), value, extension: extensionFor(keyword, value), option };
}

const notifyWords = new Set(['SUCCESS', 'FAILURE', 'DELAY']);

/** RFC 3461 §4.1: NEVER alone, or a comma list of SUCCESS, FAILURE and DELAY. */
export function parseNotify(text: string): string {
  const words = text.toUpperCase().split(',').map((w) => w.trim());
  if (words.length === 1 && words[0] === 'NEVER') return 'NEVER';
  if (words.some((w) => !notifyWords.has(w)) || new Set(words).size !== words.length) {
    throw new UsageError(`--dsn-notify ${JSON.stringify(text)}: use NEVER, or one or more of SUCCESS,FAILURE,DELAY (RFC 3461 §4.1)`);
  }
  return words.join(',');
}

/**
 * ORCPT=addr-type;xtext (RFC 3461 §4.2). A bare address is an rfc822 one; "type;address"
 * keeps the user's type (utf-8 per RFC 6533, for instance).
 */
export function orcptValue(text: string): string {
  const semi = text.indexOf(';');
  const [type, address] = semi > 0 && /^[A-Za-z0-9-]+$/.test(text.slice(0, semi)) ? [text.slice(0, semi), text.slice(semi + 1)] : ['rfc822', text];
  if (address === '') throw new UsageError(`--dsn-orcpt ${JSON.stringify(text)}: no address`);
  return `${type};${xtextEncode(address)}`;
}

const nonAscii = /[^\x00-\x7f]/;

/**
 * Option combinations that cannot mean anything, found before anything connects. `from`
 * and `to` are the envelope addresses: an address with UTF-8 goes only with SMTPUTF8
 * (RFC 6531 §3.4).
 */
export function checkEnvelopeRequest(request: EnvelopeRequest, from: string, to: readonly string[]): void {
  for (const raw of request.mailParams) parseRawParam(raw, '--mail-param');
  for (const raw of request.rcptParams) parseRawParam(raw, '--rcpt-param');
  if (request.dsnNotify !== undefined) parseNotify(request.dsnNotify);
  // RFC 3461 §4.4: ENVID is at most 100 characters, after xtext encoding.
  if (request.dsnEnvid !== undefined) {
    const encoded = xtextEncode(request.dsnEnvid);
    if (encoded.length === 0 || encoded.length > 100) throw new UsageError(`--dsn-envid: ${encoded.length} characters once xtext-encoded; RFC 3461 §4.4 allows 1 to 100`);
  }
  if (request.dsnOrcpt && request.dsnOrcpt.length !== to.length) {
    throw new UsageError(`--dsn-orcpt: give one per recipient, in the order of --to (${to.length} recipient${to.length === 1 ? '' : 's'}, ${request.dsnOrcpt.length} --dsn-orcpt)`);
  }
  request.dsnOrcpt?.forEach(orcptValue);
  const utf8 = [from, ...to].find((address) => nonAscii.test(address));
  if (utf8 !== undefined && !request.smtputf8 && !request.force) {
    throw new UsageError(`<${utf8}> is not ASCII: a UTF-8 address goes only with --smtputf8 (RFC 6531 §3.4)`);
  }
}

/**
 * The MAIL FROM parameters, in a fixed order. SIZE (RFC 1870 §6) is added from the message
 * when the server advertises it and the user gave none of their own, so there is one SIZE
 * however it came. `messageOctets` is undefined where no message follows (session's --quit-after).
 */
export function mailParams(request: EnvelopeRequest, caps: Capabilities | undefined, messageOctets: number | undefined): EnvelopeParam[] {
  const params: EnvelopeParam[] = [];
  const raw = request.mailParams.map((text) => parseRawParam(text, '--mail-param'));
  const named = (keyword: string, value: string | undefined, option: string) => params.push({ keyword, value, extension: extensionFor(keyword, value), option });
  if (messageOctets !== undefined && sizeLimit(caps) !== undefined && !raw.some((p) => p.keyword === 'SIZE')) named('SIZE', String(messageOctets), 'the message size');
  if (request.bodyType) named('BODY', request.bodyType, '--body-type');
  if (request.smtputf8) named('SMTPUTF8', undefined, '--smtputf8');
  if (request.dsnRet) named('RET', request.dsnRet, '--dsn-ret');
  if (request.dsnEnvid !== undefined) named('ENVID', xtextEncode(request.dsnEnvid), '--dsn-envid');
  if (request.requireTls) named('REQUIRETLS', undefined, '--requiretls');
  return [...params, ...raw];
}

/** The RCPT TO parameters of the recipient at `index`. */
export function rcptParams(request: EnvelopeRequest, index: number): EnvelopeParam[] {
  const params: EnvelopeParam[] = [];
  if (request.dsnNotify !== undefined) params.push({ keyword: 'NOTIFY', value: parseNotify(request.dsnNotify), extension: 'DSN', option: '--dsn-notify' });
  const orcpt = request.dsnOrcpt?.[index];
  if (orcpt !== undefined) params.push({ keyword: 'ORCPT', value: orcptValue(orcpt), extension: 'DSN', option: '--dsn-orcpt' });
  return [...params, ...request.rcptParams.map((text) => parseRawParam(text, '--rcpt-param'))];
}

/** " KEY=value KEY" as it follows the address. */
export function formatParams(params: readonly EnvelopeParam[]): string {
  return params.map((p) => ` ${p.keyword}${p.value === undefined ? '' : `=${p.value}`}`).join('');
}

/**
 * The parameters the server did not advertise an extension for. BINARYMIME also needs
 * CHUNKING (RFC 3030 §3: such a message can only go with BDAT), so BODY=BINARYMIME over
 * DATA is refused as well: `transfer` says which the message will go with.
 */
export function unadvertised(params: readonly EnvelopeParam[], caps: Capabilities | undefined, transfer: 'DATA' | 'BDAT' = 'DATA'): { param: EnvelopeParam; why: string }[] {
  const missing: { param: EnvelopeParam; why: string }[] = [];
  for (const param of params) {
    if (!hasExtension(caps, param.extension)) missing.push({ param, why: `the server did not advertise ${param.extension}` });
    else if (param.extension === 'BINARYMIME' && transfer === 'DATA') missing.push({ param, why: 'BODY=BINARYMIME goes only with BDAT (RFC 3030 §3), and this message goes with DATA' });
  }
  return missing;
}

/** The one-line note for parameters that will not be sent. */
export function unadvertisedNote(missing: readonly { param: EnvelopeParam; why: string }[], command: 'MAIL' | 'RCPT'): string {
  const first = missing[0]!;
  const shown = `${first.param.keyword}${first.param.value === undefined ? '' : `=${first.param.value}`}`;
  const more = missing.length > 1 ? ` (and ${missing.length - 1} more)` : '';
  return `${command} parameter ${shown} (${first.param.option})${more}: ${first.why}, so the transaction was not started (--force-param sends it anyway)`;
}

/**
 * The command line for MAIL or RCPT with its parameters. SMTPUTF8 addresses go out as UTF-8
 * octets (RFC 6531 §3.2): the line is returned as a latin1 string of those octets, which is
 * how command lines are written.
 */
function envelopeCommand(command: 'MAIL' | 'RCPT', address: string, params: readonly EnvelopeParam[]): string {
  const verb = command === 'MAIL' ? 'MAIL FROM' : 'RCPT TO';
  return Buffer.from(`${verb}:<${address}>${formatParams(params)}`, 'utf8').toString('latin1');
}

/** The envelope of one transaction, every line checked before the first is sent. */
export interface EnvelopeLines {
  mail: string;
  rcpt: string[];
}

/**
 * MAIL and every RCPT with their parameters, all checked against the capabilities first, so
 * that a parameter the server cannot take stops the transaction before MAIL goes out.
 * Without a request, the plain `MAIL FROM:<a>` and `RCPT TO:<b>` lines.
 */
export function envelopeLines(
  request: EnvelopeRequest | undefined,
  from: string,
  to: readonly string[],
  caps: Capabilities | undefined,
  messageOctets: number | undefined,
  transfer: 'DATA' | 'BDAT' = 'DATA',
): EnvelopeLines {
  if (!request) return { mail: `MAIL FROM:<${from}>`, rcpt: to.map((address) => `RCPT TO:<${address}>`) };
  const mail = mailParams(request, caps, messageOctets);
  const rcpt = to.map((_, i) => rcptParams(request, i));
  if (!request.force) {
    const missingMail = unadvertised(mail, caps, transfer);
    if (missingMail.length > 0) throw new UsageError(unadvertisedNote(missingMail, 'MAIL'));
    const missingRcpt = rcpt.map((params) => unadvertised(params, caps, transfer)).find((m) => m.length > 0);
    if (missingRcpt) throw new UsageError(unadvertisedNote(missingRcpt, 'RCPT'));
  }
  return { mail: envelopeCommand('MAIL', from, mail), rcpt: to.map((address, i) => envelopeCommand('RCPT', address, rcpt[i]!)) };
}
