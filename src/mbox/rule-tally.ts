import type { Finding, Severity } from './types.js';

/** One row of the summary: a rule's findings, and how many messages they are in. */
export interface RuleCount {
  rule: string;
  severity: Severity;
  count: number;
  messages: number;
}

/** A tally as plain data, for a range worker's message to the main thread. */
export interface TallyData {
  rules: [rule: string, severity: Severity, findings: number, messages: number][];
  findings: number;
  errors: number;
  flagged: number;
}

interface RuleTotals {
  rule: string;
  /** A finding's own severity: a rule may report below its usual one (content-length-mismatch in mboxo). */
  severity: Severity;
  findings: number;
  messages: number;
  /** The last message (`RuleTally.stamp`) counted in `messages`. */
  stamp: number;
}

/**
 * Counts the findings written, per rule, and the messages they are in: "3302 findings in
 * 7791 messages" read as if every message was flagged, where 812 were. Messages never span
 * two ranges, so the tallies of a file's ranges add up.
 */
export class RuleTally {
  /** One row per rule and severity, in the order they were first counted. */
  private readonly rows: RuleTotals[] = [];
  /**
   * The rows by severity, then rule: a key made of both was a string built and hashed for
   * every finding.
   */
  private readonly index: Record<Severity, Map<string, RuleTotals>> = { error: new Map(), warning: new Map(), info: new Map() };
  findings = 0;
  errors = 0;
  /** Messages with at least one finding. */
  flagged = 0;
  private stamp = 0;
  private flaggedStamp = 0;

  /** The findings `add`ed from now on belong to the next message. */
  nextMessage(): void {
    this.stamp++;
  }

  private row(rule: string, severity: Severity): RuleTotals {
    const rows = this.index[severity];
    let totals = rows.get(rule);
    if (totals === undefined) {
      totals = { rule, severity, findings: 0, messages: 0, stamp: 0 };
      rows.set(rule, totals);
      this.rows.push(totals);
    }
    return totals;
  }

  add(f: Finding): void {
    this.findings++;
    if (f.severity === 'error') this.errors++;
    const totals = this.row(f.rule, f.severity);
    totals.findings++;
    if (totals.stamp !== this.stamp) {
      totals.stamp = this.stamp;
      totals.messages++;
    }
    if (this.flaggedStamp !== this.stamp) {
      this.flaggedStamp = this.stamp;
      this.flagged++;
    }
  }

  data(): TallyData {
    return { rules: this.rows.map((t) => [t.rule, t.severity, t.findings, t.messages]), findings: this.findings, errors: this.errors, flagged: this.flagged };
  }

  merge(other: TallyData): void {
    for (const [rule, severity, findings, messages] of other.rules) {
      const totals = this.row(rule, severity);
      totals.findings += findings;
      totals.messages += messages;
    }
    this.findings += other.findings;
    this.errors += other.errors;
    this.flagged += other.flagged;
  }

  /** Rules with the most findings first. */
  summary(): RuleCount[] {
    return this.rows
      .map((t) => ({ rule: t.rule, severity: t.severity, count: t.findings, messages: t.messages }))
      .sort((a, b) => b.count - a.count || (a.rule < b.rule ? -1 : 1));
  }
}
