import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fieldRules, ruleModules } from '../../../src/mbox/rules/catalog.js';
import * as shared from '../../../src/mbox/rules/shared-pass-rules.js';
import { addCheckedFields, fieldRole, Role, singletonIndex } from '../../../src/mbox/rules/field-roles.js';

/*
 * A rule with a check of its own is one file under src/mbox/rules/checks/, named by its id,
 * plus its entry in the catalog; a rule checked in a shared pass is one entry of
 * shared-pass-rules.ts. These tests read the directory and that module, so a rule the
 * catalog forgets (which would never run) or lists twice fails here.
 */

const rulesDir = resolve(import.meta.dirname, '../../../src/mbox/rules');
const checksDir = join(rulesDir, 'checks');
const ruleFiles = readdirSync(checksDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -'.ts'.length))
  .sort();

describe('rule modules', () => {
  it('each rule (a file under checks/, named by its id, or an entry of shared-pass-rules.ts) has id, severity, description, rfc, fields and check', async () => {
    expect(ruleFiles.length).toBeGreaterThan(1);
    const rules: Array<[string, Record<string, unknown>]> = [];
    for (const file of ruleFiles) {
      const m = (await import(join(checksDir, `${file}.ts`))) as Record<string, unknown>;
      expect(m.id, file).toBe(file);
      expect(typeof m.check, `${file}: a file under checks/ has a check of its own`).toBe('function');
      rules.push([file, m]);
    }
    for (const m of Object.values(shared) as Array<Record<string, unknown>>) {
      expect(typeof m.check, String(m.id)).not.toBe('function');
      rules.push([String(m.id), m]);
    }
    expect(rules.length).toBe(ruleModules.length);
    for (const [file, m] of rules) {
      expect(['error', 'warning', 'info'], file).toContain(m.severity);
      expect(['framing', 'header-bytes', 'values'], file).toContain(m.group);
      expect(typeof m.description === 'string' && m.description.length > 10, file).toBe(true);
      expect(typeof m.rfc === 'string' && /RFC|mbox|sendmail|Mailman/.test(m.rfc), file).toBe(true);
      expect(Array.isArray(m.fields), file).toBe(true);
      for (const name of m.fields as unknown[]) expect(name === '*' || (typeof name === 'string' && /^[a-z0-9-]+$/.test(name)), `${file}: ${String(name)}`).toBe(true);
      if (typeof m.check === 'function') {
        // A check of its own is given the fields it names: it must name them.
        expect((m.fields as string[]).length > 0 && !(m.fields as string[]).includes('*'), file).toBe(true);
      } else {
        expect(typeof (m.check as { sharedPass?: unknown } | undefined)?.sharedPass, file).toBe('string');
      }
      expect(m.defaultOn === undefined || typeof m.defaultOn === 'boolean', file).toBe(true);
    }
  });

  it('the catalog imports each rule file exactly once and lists each rule once, the shared-pass ones included', () => {
    const catalog = readFileSync(join(rulesDir, 'catalog.ts'), 'utf8');
    const imported = [...catalog.matchAll(/from '\.\/checks\/([^']+)\.js'/g)].map((m) => m[1]!);
    expect([...imported].sort()).toEqual(ruleFiles);
    expect(new Set(imported).size).toBe(imported.length);
    const listed = ruleModules.map((m) => m.id);
    const expected = [...ruleFiles, ...Object.values(shared).map((m) => m.id)].sort();
    expect([...listed].sort()).toEqual(expected);
    expect(new Set(listed).size).toBe(listed.length);
    expect(new Set(ruleModules).size).toBe(ruleModules.length);
  });

  it('the fields a rule with a check of its own names are kept for it, whatever their other roles', () => {
    expect(fieldRules.map((r) => r.id)).toEqual(expect.arrayContaining(['missing-message-id', 'encoded-word-in-quoted-string']));
    for (const rule of fieldRules) for (const name of rule.fields) expect(fieldRole(name) & Role.checked, `${rule.id}: ${name}`).toBe(Role.checked);
    // A field no other rule reads (no role until now), as a new rule would name it.
    expect(fieldRole('x-rule-modules-test')).toBe(0);
    addCheckedFields(['x-rule-modules-test']);
    expect(fieldRole('x-rule-modules-test')).toBe(Role.checked);
    expect(singletonIndex(fieldRole('x-rule-modules-test'))).toBe(-1);
    // The new bit leaves the singleton index the duplicate-field rule reads as it was.
    expect(singletonIndex(fieldRole('message-id'))).toBe(7);
  });
});
