import { UsageError } from '../errors.js';
import type { Capabilities } from './capabilities.js';
import { xtextDecode, xtextEncode } from './envelope-params.js';

/**
 * Postfix's XCLIENT and XFORWARD commands, built without I/O. Both take
 * `NAME=value` attributes whose values are xtext (RFC 3461 §4); the server lists the
 * attribute names it accepts after the EHLO keyword ("XCLIENT NAME ADDR PROTO HELO …").
 * XCLIENT overrides what the server believes of its client and is answered with a new 220
 * greeting, after which the client must say EHLO again; XFORWARD only changes what the
 * server logs and is answered with 250.
 */
export type ProxyVerb = 'XCLIENT' | 'XFORWARD';

export interface ProxyAttribute {
  name: string;
  value: string;
}

/**
 * Values Postfix gives a meaning of their own: sent as they are, not xtext-encoded, since
 * "[UNAVAILABLE]" is already valid xtext and means "the information is not available".
 */
const specialValues = new Set(['[UNAVAILABLE]', '[TEMPUNAVAIL]']);

/** `--xclient NAME=VALUE`: the name is letters (the server decides which it takes), the value anything. */
export function parseProxyAttribute(text: string, option: '--xclient' | '--xforward'): ProxyAttribute {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`${option} ${JSON.stringify(text)}: give NAME=VALUE (e.g. ${option === '--xclient' ? 'ADDR=192.0.2.1' : 'NAME=client.example'})`);
  const name = text.slice(0, eq).toUpperCase();
  if (!/^[A-Z]+$/.test(name)) throw new UsageError(`${option} ${JSON.stringify(text)}: the attribute name is letters only`);
  return { name, value: text.slice(eq + 1) };
}

export function encodeAttribute(attribute: ProxyAttribute): string {
  return `${attribute.name}=${specialValues.has(attribute.value.toUpperCase()) ? attribute.value.toUpperCase() : xtextEncode(attribute.value)}`;
}

/** The attribute names the server lists after the keyword, upper-cased; undefined when it does not offer the verb. */
export function offeredAttributes(caps: Capabilities | undefined, verb: ProxyVerb): string[] | undefined {
  return caps?.extensions.get(verb)?.map((name) => name.toUpperCase());
}

/**
 * Why the attributes cannot be sent to this server (not offered, or an attribute it does not
 * list), or undefined when they can.
 */
export function proxyRefusal(verb: ProxyVerb, attributes: readonly ProxyAttribute[], caps: Capabilities | undefined): string | undefined {
  const offered = offeredAttributes(caps, verb);
  const option = verb === 'XCLIENT' ? '--xclient' : '--xforward';
  if (offered === undefined) {
    const hint = verb === 'XCLIENT' ? 'smtpd_authorized_xclient_hosts' : 'smtpd_authorized_xforward_hosts';
    return `${option}: the server does not advertise ${verb} to this client (Postfix offers it only to the hosts in ${hint}); nothing was sent`;
  }
  const unknown = attributes.filter((a) => !offered.includes(a.name)).map((a) => a.name);
  if (unknown.length > 0) return `${option}: the server's ${verb} does not take ${unknown.join(', ')} (it lists ${offered.join(' ') || 'no attributes'}); nothing was sent`;
  return undefined;
}

/**
 * The command lines for the attributes. Postfix's XCLIENT_README: a command must stay within
 * the 512 characters of an SMTP command line (RFC 5321 §4.5.3.1.4), so attributes go in as
 * many commands as needed, in the order given.
 */
export function proxyCommands(verb: ProxyVerb, attributes: readonly ProxyAttribute[], maxLine = 510): string[] {
  const lines: string[] = [];
  let line = verb;
  for (const attribute of attributes) {
    const part = ` ${encodeAttribute(attribute)}`;
    if (line !== verb && line.length + part.length > maxLine) {
      lines.push(line);
      line = verb;
    }
    line += part;
  }
  if (line !== verb) lines.push(line);
  return lines;
}

// The server side (serve): reading the attributes a client sends.

/** The attributes Postfix 3.7 accepts, in the order it advertises them. */
export const XCLIENT_ATTRIBUTES = ['NAME', 'ADDR', 'PORT', 'PROTO', 'HELO', 'LOGIN', 'DESTADDR', 'DESTPORT'] as const;
export const XFORWARD_ATTRIBUTES = ['NAME', 'ADDR', 'PORT', 'PROTO', 'HELO', 'IDENT', 'SOURCE'] as const;

export type ParsedAttributes =
  | { ok: true; attributes: Record<string, string> }
  | { ok: false; reason: string };

export function parseForwardAttributes(argument: string, allowed: readonly string[]): ParsedAttributes {
  const words = argument.trim().split(/[ \t]+/).filter(Boolean);
  if (words.length === 0) return { ok: false, reason: 'no attributes' };
  const attributes: Record<string, string> = {};
  for (const word of words) {
    const equals = word.indexOf('=');
    const name = (equals === -1 ? word : word.slice(0, equals)).toUpperCase();
    if (equals === -1) return { ok: false, reason: `attribute ${JSON.stringify(word.slice(0, 40))} has no "="` };
    if (!allowed.includes(name)) return { ok: false, reason: `unknown attribute name ${JSON.stringify(name.slice(0, 40))}` };
    const value = xtextDecode(word.slice(equals + 1));
    if (value === undefined) return { ok: false, reason: `the value of ${name} is not valid xtext (RFC 3461 §4)` };
    attributes[name] = value;
  }
  return { ok: true, attributes };
}

/** `NAME="value" ADDR="…"` for display, values quoted so that spaces and controls show. */
export function describeAttributes(attributes: Record<string, string>): string {
  return Object.entries(attributes).map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(' ');
}
