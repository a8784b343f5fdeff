/**
 * The arguments of Postfix's XCLIENT and XFORWARD commands: `NAME=value` pairs separated by
 * spaces, each value xtext-encoded (RFC 3461 §4: "+" and two upper-case hex digits stand for
 * an octet). Postfix's special values `[UNAVAILABLE]` and `[TEMPUNAVAIL]` are kept as they are.
 */

/** The attributes Postfix 3.7 accepts, in the order it advertises them. */
export const XCLIENT_ATTRIBUTES = ['NAME', 'ADDR', 'PORT', 'PROTO', 'HELO', 'LOGIN', 'DESTADDR', 'DESTPORT'] as const;
export const XFORWARD_ATTRIBUTES = ['NAME', 'ADDR', 'PORT', 'PROTO', 'HELO', 'IDENT', 'SOURCE'] as const;

export type ParsedAttributes =
  | { ok: true; attributes: Record<string, string> }
  | { ok: false; reason: string };

/** xtext (RFC 3461 §4) to text; undefined when a "+" is not followed by two upper-case hex digits. */
export function decodeXtext(text: string): string | undefined {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '+') {
      out += c;
      continue;
    }
    const hex = text.slice(i + 1, i + 3);
    if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
    out += String.fromCharCode(parseInt(hex, 16));
    i += 2;
  }
  return out;
}

export function parseForwardAttributes(argument: string, allowed: readonly string[]): ParsedAttributes {
  const words = argument.trim().split(/[ \t]+/).filter(Boolean);
  if (words.length === 0) return { ok: false, reason: 'no attributes' };
  const attributes: Record<string, string> = {};
  for (const word of words) {
    const equals = word.indexOf('=');
    const name = (equals === -1 ? word : word.slice(0, equals)).toUpperCase();
    if (equals === -1) return { ok: false, reason: `attribute ${JSON.stringify(word.slice(0, 40))} has no "="` };
    if (!allowed.includes(name)) return { ok: false, reason: `unknown attribute name ${JSON.stringify(name.slice(0, 40))}` };
    const value = decodeXtext(word.slice(equals + 1));
    if (value === undefined) return { ok: false, reason: `the value of ${name} is not valid xtext (RFC 3461 §4)` };
    attributes[name] = value;
  }
  return { ok: true, attributes };
}

/** `NAME="value" ADDR="…"` for display, values quoted so that spaces and controls show. */
export function describeAttributes(attributes: Record<string, string>): string {
  return Object.entries(attributes).map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(' ');
}
