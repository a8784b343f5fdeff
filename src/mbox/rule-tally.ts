import { ruleById } from './rules/catalog.js';
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
  rules: [rule: string, findings: number, messages: number][];
  findings: number;
  errors: number;
  flagged: number;
}

interface RuleTotals {
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
  private readonly rules = new Map<string, RuleTotals>();
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

  add(f: Finding): void {
    this.findings++;
    if (f.severity === 'error') this.errors++;
    let totals = this.rules.get(f.rule);
    if (totals === undefined) {
      totals = { findings: 0, messages: 0, stamp: 0 };
      this.rules.set(f.rule, totals);
    }
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
    return { rules: [...this.rules].map(([rule, t]) => [rule, t.findings, t.messages]), findings: this.findings, errors: this.errors, flagged: this.flagged };
  }

  merge(other: TallyData): void {
    for (const [rule, findings, messages] of other.rules) {
      const totals = this.rules.get(rule);
      if (totals === undefined) this.rules.set(rule, { findings, messages, stamp: 0 });
      else {
        totals.findings += findings;
        totals.messages += messages;
      }
    }
    this.findings += other.findings;
    this.errors += other.errors;
    this.flagged += other.flagged;
  }

  /** Rules with the most findings first. */
  summary(): RuleCount[] {
    return [...this.rules]
      .map(([rule, t]) => ({ rule, severity: ruleById.get(rule)!.severity, count: t.findings, messages: t.messages }))
      .sort((a, b) => b.count - a.count || (a.rule < b.rule ? -1 : 1));
  }
}
