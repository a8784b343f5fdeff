import { archivePatternRule, foldFor } from './archive-patterns.js';
import { selectRules, type RuleSelection } from './rule-filter.js';
import { MboxScanner } from './scanner.js';
import type { Eol, Finding, MessageInfo, Variant } from './types.js';

export { ruleCatalog, ruleById, type RuleMeta } from './rules/catalog.js';
export { selectRules, type RuleSelection } from './rule-filter.js';
export { MboxScanner, type ScanOptions } from './scanner.js';
export * from './types.js';

export interface LintResult {
  findings: Finding[];
  messages: MessageInfo[];
  variant: Variant;
  eol: Eol;
}

/**
 * Lints bytes held in memory, fed as the given chunks (tests cut them anywhere). `framing`
 * false lints one message without a From_ line. As lint-mbox does, an archive pattern
 * found in the first messages (archive-patterns.ts) is reported once, its findings folded.
 */
export function lintChunks(chunks: Iterable<Uint8Array>, file: string, options: RuleSelection & { framing?: boolean; sniffBytes?: number } = {}): LintResult {
  const findings: Finding[] = [];
  const messages: MessageInfo[] = [];
  const isEnabled = selectRules(options);
  const framing = options.framing ?? true;
  const pieces = [...chunks];
  const fold = framing && isEnabled(archivePatternRule) ? foldFor(pieces, file, isEnabled, options.sniffBytes) : undefined;
  const scanner = new MboxScanner({
    file,
    framing,
    sniffBytes: options.sniffBytes,
    isEnabled,
    onMessage(info, found) {
      const kept = fold ? fold.apply(found) : found;
      messages.push({ ...info, findings: kept.length });
      findings.push(...kept);
    },
  });
  for (const chunk of pieces) scanner.push(chunk);
  scanner.end();
  return { findings, messages, variant: scanner.variant, eol: scanner.eol };
}

export function lintMbox(bytes: Uint8Array, file = '-', options: RuleSelection = {}): LintResult {
  return lintChunks([bytes], file, options);
}

/**
 * The findings for one message as a server stored it (no From_ line needed); `smtpdbg
 * inject` shows these. Framing rules do not apply; line numbers and offsets are within the
 * message.
 */
export function lintMessage(bytes: Uint8Array, options: RuleSelection = {}): Finding[] {
  return lintChunks([bytes], 'message', { ...options, framing: false }).findings;
}
