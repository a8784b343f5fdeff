import { TimeoutError } from '../errors.js';
import { lintMessage, type Finding } from '../mbox/index.js';
import { describeSource, lineEndsOf, type MailboxWatch, type ObserveSource } from './mailbox-sources.js';
import { compareRoundTrip, describeAlterations, type RoundTrip, type RoundTripOptions } from './round-trip.js';

/**
 * `inject --observe`: after the send, wait for the message in the store the server delivers
 * to, and compare every copy found with what was sent.
 */

export interface FindingChange {
  rule: string;
  severity: Finding['severity'];
  /** The line number in the stored copy (new, kept) or in what was sent (gone). */
  line: number;
  detail: string;
}

export interface ObservedCopy {
  where: string;
  bytes: Buffer;
  trip: RoundTrip;
  /** lint-mbox findings on the stored copy that the sent message did not have, and the reverse. */
  findings: { added: FindingChange[]; gone: FindingChange[]; kept: FindingChange[] };
}

export type VerdictKind = 'unchanged' | 'altered' | 'split' | 'not-found';

export interface Observation {
  source: string;
  traceId: string;
  elapsedMs: number;
  copies: ObservedCopy[];
  verdict: { kind: VerdictKind; text: string };
}

export interface ObserveOptions {
  /** The message as the server was to receive it: the payload with dot-stuffing undone, no end of data. */
  sent: Buffer;
  traceId: string;
  timeoutMs: number;
  onWait?: (elapsedMs: number) => void;
}

const change = (finding: Finding): FindingChange => ({ rule: finding.rule, severity: finding.severity, line: finding.line, detail: finding.detail });

/**
 * Findings compared rule by rule, as many of each: line numbers move when a server adds
 * fields, and a line's text changes with the very alteration being looked at, so neither can
 * pair a finding with its counterpart.
 */
export function compareFindings(sent: Buffer, stored: Buffer): ObservedCopy['findings'] {
  const before = lintMessage(sent);
  const after = lintMessage(stored);
  const result: ObservedCopy['findings'] = { added: [], gone: [], kept: [] };
  const rules = new Set([...before, ...after].map((f) => f.rule));
  for (const rule of rules) {
    const was = before.filter((f) => f.rule === rule);
    const now = after.filter((f) => f.rule === rule);
    result.kept.push(...now.slice(0, was.length).map(change));
    result.added.push(...now.slice(was.length).map(change));
    result.gone.push(...was.slice(now.length).map(change));
  }
  return result;
}

export function verdictFor(copies: readonly ObservedCopy[], options: RoundTripOptions): Observation['verdict'] {
  if (copies.length > 1) {
    return { kind: 'split', text: `split into ${copies.length} messages: the server ended the message early and took the rest as another transaction` };
  }
  const copy = copies[0];
  if (!copy) return { kind: 'not-found', text: 'not found' };
  if (copy.trip.unchangedButTrace) {
    const trace = copy.trip.summary.find((s) => s.kind === 'trace-field-added')?.fields ?? [];
    const lineEnds = options.storedLineEnds === 'lf' ? '; the store keeps lines with LF' : '';
    return { kind: 'unchanged', text: `delivered unchanged except trace fields${trace.length ? ` (${trace.join(', ')})` : ''}${lineEnds}` };
  }
  return { kind: 'altered', text: `delivered altered: ${describeAlterations(copy.trip, options)}` };
}

export async function observe(watch: MailboxWatch, source: ObserveSource, options: ObserveOptions): Promise<Observation> {
  const started = Date.now();
  const base = { source: describeSource(source), traceId: options.traceId };
  const roundTrip: RoundTripOptions = { storedLineEnds: lineEndsOf(source) };
  let stored;
  try {
    stored = await watch.waitFor(options.traceId, { timeoutMs: options.timeoutMs, ...(options.onWait ? { onWait: options.onWait } : {}) });
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    return { ...base, elapsedMs: Date.now() - started, copies: [], verdict: { kind: 'not-found', text: `not found in ${base.source} within ${options.timeoutMs} ms` } };
  }
  const copies = stored.map((copy) => ({
    where: copy.where,
    bytes: copy.bytes,
    trip: compareRoundTrip(options.sent, copy.bytes, roundTrip),
    findings: compareFindings(options.sent, copy.bytes),
  }));
  return { ...base, elapsedMs: Date.now() - started, copies, verdict: verdictFor(copies, roundTrip) };
}
