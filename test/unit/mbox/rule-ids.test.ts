import { describe, expect, it } from 'vitest';
import { ruleById, ruleCatalog, type RuleId } from '../../../src/mbox/rules/catalog.js';

describe('rule ids', () => {
  it('are the catalog\'s: a misspelt id does not compile (npm test type-checks this file), and every id is listed once', () => {
    const known: RuleId = 'bare-cr';
    // @ts-expect-error "bare-crr" is not a rule: a report of it would never fire.
    const misspelt: RuleId = 'bare-crr';
    expect(ruleById.has(known)).toBe(true);
    expect(ruleById.has(misspelt)).toBe(false);
    expect(new Set(ruleCatalog.map((r) => r.id)).size).toBe(ruleCatalog.length);
  });
});
