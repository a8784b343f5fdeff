import type { Field, RuleSink } from '../field.js';
import type { Line } from '../line.js';
import type { Severity } from '../types.js';

/** Where `--list-rules` files a rule. */
export type RuleGroup = 'framing' | 'header-bytes' | 'values';

/**
 * A rule's check: called once per header with the fields named in the rule's `fields`, in
 * header order (none when the header has none of them), and the header's first line, where
 * a finding about the whole header points. It reports through `sink`.
 */
export type HeaderCheck = (fields: readonly Field[], sink: RuleSink, anchor: Line) => void;

/**
 * A rule checked inside a pass that many rules share (`sharedPass` names it): the scanner's
 * byte loop, the line classifier, the value fast paths. Their checks read each byte or
 * value once for all their rules, which a call per rule would read again.
 */
export interface SharedPass {
  readonly sharedPass: string;
}

/**
 * What a rule module (a file under rules/checks/) exports. `fields` are lower-case field
 * names; any name may be listed, and the message linter then keeps that field for the
 * rule. `'*'` (shared passes only) means every header line.
 */
export interface RuleModule<Id extends string = string> {
  readonly id: Id;
  readonly severity: Severity;
  readonly group: RuleGroup;
  readonly description: string;
  /** The RFC section or the software whose behaviour makes this a problem. */
  readonly rfc: string;
  /** Rules off by default run only when named with `--rule`. */
  readonly defaultOn?: boolean;
  readonly fields: readonly string[];
  readonly check: HeaderCheck | SharedPass;
}
