import type { Finding, MessageInfo, OriginFields } from './types.js';

export const GroupKey = { senderDomain: 'sender-domain', mailer: 'mailer', listId: 'list-id', receivedFrom: 'received-from' } as const;
export type GroupKey = (typeof GroupKey)[keyof typeof GroupKey];

const originField: Record<GroupKey, keyof OriginFields> = {
  'sender-domain': 'senderDomain',
  mailer: 'mailer',
  'list-id': 'listId',
  'received-from': 'receivedFrom',
};

export interface GroupRow {
  origin: string;
  messages: number;
  flagged: number;
  rules: Record<string, number>;
}

/** Which origin produces which rules: incident 1's broken messages all came from one platform. */
export class OriginGroups {
  private readonly rows = new Map<string, GroupRow>();
  constructor(readonly key: GroupKey) {}

  add(info: MessageInfo, findings: readonly Finding[]): void {
    const origin = info.origin?.[originField[this.key]] ?? '(none)';
    let row = this.rows.get(origin);
    if (!row) {
      row = { origin, messages: 0, flagged: 0, rules: {} };
      this.rows.set(origin, row);
    }
    row.messages++;
    if (findings.length > 0) row.flagged++;
    for (const f of findings) row.rules[f.rule] = (row.rules[f.rule] ?? 0) + 1;
  }

  /** Most flagged origins first. */
  table(): GroupRow[] {
    return [...this.rows.values()].sort((a, b) => b.flagged - a.flagged || b.messages - a.messages || (a.origin < b.origin ? -1 : 1));
  }
}

/** An IP literal in a Received field: `[192.0.2.1]`, `[IPv6:2001:db8::1]`, or qmail's and Exchange's `(192.0.2.1)`. */
const ipLiteral = /\[(?:IPv6:)?([0-9A-Fa-f:.]+)\](?::\d+)?|\((\d{1,3}(?:\.\d{1,3}){3})\)/;

/**
 * Who connected, from a Received field's `from` clause (RFC 5321 §4.4 `From-domain`, then
 * `TCP-info` in a comment): the reverse DNS name and the address the receiving server
 * saw, e.g. `mta.example.net [192.0.2.7]`, rather than the HELO name, which the client
 * chose. The servers word it differently: Postfix and sendmail `from HELO (rdns [ip])`,
 * Exim `from rdns ([ip] helo=HELO)`, qmail `from rdns (HELO x) (ip)`. An unknown name is
 * left out (`[192.0.2.7]`); without an address, the name the clause starts with.
 */
export function connectingHost(received: string): string | undefined {
  const clause = /^\s*from\s+([\s\S]*?)(?:\s+by\s|;|$)/i.exec(received)?.[1];
  if (!clause) return undefined;
  const first = /^\S+/.exec(clause)![0].toLowerCase();
  const ip = ipLiteral.exec(clause);
  if (!ip) return first;
  const address = (ip[1] ?? ip[2])!.toLowerCase();
  // The name just before the address inside the same comment: Postfix's and sendmail's rdns.
  const before = /\(\s*([^\s()[\]]+)\s+$/.exec(clause.slice(0, ip.index))?.[1]?.toLowerCase();
  let name = before;
  // Exim and qmail put the rdns first and the HELO name in the comment.
  if (name === undefined && /\bhelo[=\s]/i.test(clause)) name = first;
  // sendmail writes the ident user before the name (`ident:user@host`).
  name = name?.replace(/^.*@/, '');
  const named = name !== undefined && name !== 'unknown' && /^[a-z0-9]/.test(name) && name !== address && !/^\d+(?:\.\d+){3}$/.test(name);
  return named ? `${name} [${address}]` : `[${address}]`;
}

/** Product names that say nothing about which mailer it is: the browser engine parts of a User-Agent. */
const engineTokens = new Set(['mozilla', 'gecko', 'applewebkit', 'khtml', 'like', 'safari', 'chrome']);

/** A version, build, PID or date: starts with a digit (or v1.2, #12). */
const versionToken = /^(?:v|r|#)?\d[\w.:+~-]*[,;]?$/i;
/** Words that only introduce a version: "Version 4.3", "V. 2.3", "sub 45". */
const versionWord = /^(?:v\.?|version|ver\.?|build|rev\.?|release|sub)$/i;
/** A long hexadecimal identifier (a build hash) with at least one digit. */
const hexToken = /^(?=[0-9a-f]*\d)[0-9a-f]{6,}$/i;

/**
 * The mailer's name without versions, PIDs, URLs and platform comments, so that one mailer
 * is one row: `Microsoft Outlook Express 6.00.2800.1106` and `… 6.00.2900.5512` are both
 * `Microsoft Outlook Express`, `Mozilla/5.0 (X11; Linux) Gecko/20100101 Thunderbird/60.9.1`
 * is `Thunderbird`, `KMail [version 1.2]` and `KMail/1.4.1` are `KMail`.
 */
export function mailerName(value: string): string {
  let text = value.replace(/\s+/g, ' ').trim();
  // Comments (platforms, dates, URLs, PIDs), innermost first.
  for (let before = ''; before !== text; ) {
    before = text;
    text = text.replace(/\([^()]*\)|\[[^[\]]*\]/g, ' ');
  }
  const words = text.split(' ').filter((w) => w && !/:\/\/|^www\./i.test(w));
  const products = words.filter((w) => /^[^/]+\/\S/.test(w)).map((w) => w.slice(0, w.indexOf('/')));
  // A User-Agent of product/version tokens: the first that is not a browser engine's.
  if (products.length > 0 && products.length === words.filter((w) => !versionToken.test(w)).length) {
    return products.find((p) => !engineTokens.has(p.toLowerCase())) ?? products[0]!;
  }
  const kept = words
    .map((w) => (w.includes('/') ? w.slice(0, w.indexOf('/')) : w).replace(/[-_]v?\d\S*$/i, ''))
    .filter((w) => w && !versionToken.test(w) && !versionWord.test(w) && !hexToken.test(w));
  const name = kept.join(' ').replace(/[\s,;:-]+$/, '');
  return name || (words[0] ?? value.trim());
}
