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
 * false lints one message without a From_ line.
 */
export function lintChunks(chunks: Iterable<Uint8Array>, file: string, options: RuleSelection & { framing?: boolean; sniffBytes?: number } = {}): LintResult {
  const findings: Finding[] = [];
  const messages: MessageInfo[] = [];
  const scanner = new MboxScanner({
    file,
    framing: options.framing ?? true,
    sniffBytes: options.sniffBytes,
    isEnabled: selectRules(options),
    onMessage(info, found) {
      messages.push(info);
      findings.push(...found);
    },
  });
  for (const chunk of chunks) scanner.push(chunk);
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
