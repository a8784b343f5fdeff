import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * src/mbox is the pure core of lint-mbox: it takes bytes and returns findings. Reading
 * files, worker threads and the output belong to the runner (src/lint), colours and layout
 * to src/ui. This test reads every source file under src/mbox and fails on an import that
 * breaks that.
 */

const srcDir = resolve(import.meta.dirname, '../../../src');
const mboxDir = join(srcDir, 'mbox');

/** Modules the core must not load: file and thread I/O. */
const forbiddenModules = new Set(['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'worker_threads', 'node:worker_threads']);

/** Every specifier a source imports or re-exports, statically or with `import()`. */
function specifiersOf(source: string): string[] {
  const found: string[] = [];
  const patterns = [/^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/gm, /^\s*import\s*['"]([^'"]+)['"]/gm, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of source.matchAll(re)) found.push(m[1]!);
  return found;
}

/** What is wrong with the imports of the source file at `path` (empty when nothing is). */
function forbiddenImports(path: string, source: string): string[] {
  const problems: string[] = [];
  for (const spec of specifiersOf(source)) {
    if (forbiddenModules.has(spec)) problems.push(`${spec} (file or thread I/O)`);
    else if (spec.startsWith('.')) {
      const target = relative(srcDir, resolve(dirname(path), spec));
      if (target === 'ui' || target.startsWith(`ui/`)) problems.push(`${spec} (the ui layer)`);
      if (target === 'lint' || target.startsWith(`lint/`)) problems.push(`${spec} (the runner)`);
    }
  }
  return problems;
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('src/mbox is sans-I/O', () => {
  it('no source under src/mbox imports node:fs, node:worker_threads, src/ui or the runner (src/lint)', () => {
    const files = sourcesUnder(mboxDir);
    expect(files.length).toBeGreaterThan(20);
    const offending = files.flatMap((path) => forbiddenImports(path, readFileSync(path, 'utf8')).map((p) => `${relative(srcDir, path)}: ${p}`));
    expect(offending).toEqual([]);
  });

  it('the check sees each kind of forbidden import (so the test above can fail)', () => {
    const at = join(mboxDir, 'rules', 'example.ts');
    const source = [
      "import { readFileSync } from 'node:fs';",
      "import type { MessagePort } from 'worker_threads';",
      "export { loadChalk } from '../../ui/colors.js';",
      "const pool = await import('../../lint/range-pool.js');",
      "import './field.js';",
      "import {\n  type Field,\n} from '../field.js';",
    ].join('\n');
    expect(forbiddenImports(at, source)).toEqual([
      'node:fs (file or thread I/O)',
      'worker_threads (file or thread I/O)',
      '../../ui/colors.js (the ui layer)',
      '../../lint/range-pool.js (the runner)',
    ]);
  });
});
