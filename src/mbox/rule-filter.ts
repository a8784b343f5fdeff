import { UsageError } from '../errors.js';
import { ruleById, ruleCatalog } from './rules/catalog.js';
import { severityRank, type Severity } from './types.js';

export interface RuleSelection {
  /** Only these rules (they may be rules that are off by default). */
  only?: readonly string[];
  disable?: readonly string[];
  minSeverity?: Severity;
}

/**
 * Resolves `--rule`, `--disable` and `--min-severity` to a predicate; unknown ids are usage
 * errors. The predicate is also asked with a finding's severity when that is not its rule's.
 */
export function selectRules(selection: RuleSelection = {}): (rule: string, severity?: Severity) => boolean {
  for (const id of [...(selection.only ?? []), ...(selection.disable ?? [])]) {
    if (!ruleById.has(id)) throw new UsageError(`unknown rule "${id}" (see --list-rules)`);
  }
  const min = severityRank[selection.minSeverity ?? 'info'];
  const only = selection.only && selection.only.length > 0 ? new Set(selection.only) : undefined;
  const disabled = new Set(selection.disable ?? []);
  const enabled = new Set<string>(
    ruleCatalog
      .filter((r) => (only ? only.has(r.id) : r.defaultOn) && !disabled.has(r.id) && severityRank[r.severity] >= min)
      .map((r) => r.id),
  );
  return (rule, severity) => enabled.has(rule) && (severity === undefined || severityRank[severity] >= min);
}
