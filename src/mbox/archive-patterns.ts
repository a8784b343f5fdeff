import type { Sniffed } from './sniff.js';
import { ruleById } from './rules/catalog.js';
import { MboxScanner, type ScanRange } from './scanner.js';
import { sniff, sniffBytes as defaultSniffBytes } from './sniff.js';
import type { Eol, Finding, Variant } from './types.js';

/**
 * Transformations that list archivers apply to every message they store. In such a file
 * every message gets the same findings for it (a pipermail archive of 3,000 messages: 6,000
 * findings that say one thing), which buries what is really wrong. When a file's first
 * messages show one of these, lint-mbox reports it once, as an `archive-pattern` finding that
 * names the archiver, in place of the first of those findings, and folds the others (they
 * are counted in the summary). Other findings of those messages, and the same rules on
 * other lines, are reported as usual.
 */
export interface ArchivePattern {
  readonly id: string;
  /** Who writes it. */
  readonly archiver: string;
  /** What it does to the messages. */
  readonly what: string;
  /** True for a finding that this transformation explains. */
  matches(f: Finding): boolean;
}

/** A line's end as findings show it (see `showBytes`). */
const lineEnd = '(?:␍␊|␊|␍)?$';

const pipermailFromLine = /^From [^\s@]+ at [^\s@]+ /;
const pipermailFromField = new RegExp(`^From:[ \\t]*[^\\s@"<>,;]+ at [^\\s@"<>,;]+(?:[ \\t]+\\(.*\\))?[ \\t]*${lineEnd}`);
const ctimeDate = new RegExp(`^Date:[ \\t]*(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4}[ \\t]*${lineEnd}`);

export const archivePatterns: readonly ArchivePattern[] = [
  {
    id: 'pipermail-at',
    archiver: "Mailman's pipermail archiver",
    what: 'addresses written "user at host" in From_ lines and From: (to hide them from harvesters)',
    matches: (f) => (f.rule === 'from-sender-spaces' && pipermailFromLine.test(f.text)) || (f.rule === 'address-invalid' && pipermailFromField.test(f.text)),
  },
  {
    // Mailman's archive runner replaced a message's date with the time it received it,
    // formatted by Python's time.ctime() (clobber_date), and kept the original in
    // X-Original-Date; Python's smtpd Mailman proxy did the same for a message without one.
    id: 'ctime-date',
    archiver: "Mailman's archiver (clobber_date)",
    what: 'Date: in C\'s ctime() form, with no zone ("Sat Nov 14 21:29:28 2015")',
    matches: (f) => (f.rule === 'date-invalid' || f.rule === 'date-zone') && ctimeDate.test(f.text),
  },
];

const byId = new Map(archivePatterns.map((p) => [p.id, p]));

/** The rule of the finding that stands for a folded pattern. */
export const archivePatternRule = 'archive-pattern';

/** How many of a file's first messages the patterns are looked for in. */
export const windowMessages = 20;
/**
 * The messages looked at are those that end within a file's first bytes: the bytes its
 * variant and line endings are decided from (sniff.ts), which are read before anything is
 * scanned anyway, so that looking for the patterns reads nothing more, even on standard
 * input.
 */
export const windowBytes = defaultSniffBytes;

/**
 * A pattern found in a file's first messages: where its first finding is (that finding
 * becomes the `archive-pattern` one) and what that one says. Plain data, for range workers.
 */
export interface FoldSpec {
  pattern: string;
  rule: string;
  offset: number;
  detail: string;
}

/** What was folded for one pattern in a file. */
export interface FoldedCount {
  pattern: string;
  archiver: string;
  what: string;
  /** Findings folded, the one replaced by the `archive-pattern` finding included. */
  findings: number;
  /** Messages that had at least one of them. */
  messages: number;
}

/** Is every, or nearly every, message of the window transformed? */
function isArchiveWide(carried: number, window: number): boolean {
  return carried >= 2 && carried >= Math.ceil(window * 0.9);
}


/**
 * A scan of a whole file from its start, with its line endings and variant already
 * decided: the same as the scanner's own decision from its first `sniffBytes`, without
 * the copy of them it would hold meanwhile.
 */
export function wholeFile(sniffed: Sniffed): ScanRange {
  return { start: 0, startAfterBlank: false, stopAt: undefined, sniffed, full: () => false };
}

/** Ends the detection's scan once the window is full. */
class WindowFull extends Error {}

/**
 * Lints the first messages of a file (at most `windowMessages`, those that end within
 * `sample`, its first `windowBytes`, or within all of it when `whole`) and decides which
 * patterns hold across them. `sniffed` is what the file's own scan decides from its start,
 * so that the findings are the ones it will find. The sample is scanned in place.
 */
export function findArchivePatterns(file: string, sample: Uint8Array, whole: boolean, sniffed: Sniffed, isEnabled: (rule: string) => boolean): FoldSpec[] {
  const messages: Finding[][] = [];
  const scanner = new MboxScanner({
    file,
    framing: true,
    isEnabled,
    origins: false,
    range: wholeFile(sniffed),
    onMessage: (_info, findings) => {
      messages.push(findings);
      if (messages.length >= windowMessages) throw new WindowFull();
    },
  });
  try {
    scanner.push(sample.subarray(0, windowBytes));
    if (whole) scanner.end();
  } catch (error) {
    if (!(error instanceof WindowFull)) throw error;
  }
  return decide(messages);
}

/** The patterns that (nearly) every message of the window carries. */
function decide(messages: readonly Finding[][]): FoldSpec[] {
  const window = messages.length;
  const specs: FoldSpec[] = [];
  for (const pattern of archivePatterns) {
    let first: Finding | undefined;
    let carried = 0;
    const rules = new Set<string>();
    for (const findings of messages) {
      let carries = false;
      for (const f of findings) {
        if (!pattern.matches(f)) continue;
        first ??= f;
        carries = true;
        rules.add(f.rule);
      }
      if (carries) carried++;
    }
    if (!first || !isArchiveWide(carried, window)) continue;
    const named = [...rules].sort().join(' and ');
    specs.push({
      pattern: pattern.id,
      rule: first.rule,
      offset: first.offset,
      detail: `${pattern.archiver}: ${pattern.what}, in ${carried} of the first ${window} messages; its ${named} findings in this file are folded into this one (counted in the summary)`,
    });
  }
  return specs;
}

interface ActiveFold {
  spec: FoldSpec;
  pattern: ArchivePattern;
  findings: number;
  messages: number;
}

/**
 * Folds the findings of the patterns found in a file (`FoldSpec`s) out of its messages'
 * findings, on the main thread or in a range worker, and counts them.
 */
export class ArchiveFold {
  private readonly active: ActiveFold[];

  constructor(specs: readonly FoldSpec[]) {
    this.active = specs.map((spec) => ({ spec, pattern: byId.get(spec.pattern)!, findings: 0, messages: 0 }));
  }

  /** One message's findings without the folded ones; the first of a pattern becomes its `archive-pattern` finding. */
  apply(findings: Finding[]): Finding[] {
    let kept: Finding[] | undefined;
    const counted = new Set<ActiveFold>();
    for (let i = 0; i < findings.length; i++) {
      const f = findings[i]!;
      const fold = this.active.find((a) => a.pattern.matches(f));
      if (!fold) {
        kept?.push(f);
        continue;
      }
      kept ??= findings.slice(0, i);
      fold.findings++;
      if (!counted.has(fold)) {
        counted.add(fold);
        fold.messages++;
      }
      if (f.offset === fold.spec.offset && f.rule === fold.spec.rule) {
        kept.push({ ...f, rule: archivePatternRule, severity: ruleById.get(archivePatternRule)!.severity, detail: fold.spec.detail });
      }
    }
    return kept ?? findings;
  }

  counts(): FoldedCount[] {
    return this.active.map(({ pattern, findings, messages }) => ({ pattern: pattern.id, archiver: pattern.archiver, what: pattern.what, findings, messages }));
  }
}

/** Adds the counts of one range of a file to those of the others. */
export function addFoldedCounts(to: FoldedCount[], more: readonly FoldedCount[]): void {
  for (const c of more) {
    const same = to.find((t) => t.pattern === c.pattern);
    if (same) {
      same.findings += c.findings;
      same.messages += c.messages;
    } else to.push({ ...c });
  }
}

/** The fold for input held in memory (lintChunks), or undefined when no pattern holds. */
export function foldFor(chunks: readonly Uint8Array[], file: string, isEnabled: (rule: string) => boolean, sniffBytes = defaultSniffBytes): ArchiveFold | undefined {
  const all = Buffer.concat(chunks);
  const specs = findArchivePatterns(file, all.subarray(0, windowBytes), all.length <= windowBytes, sniff(all.subarray(0, sniffBytes)), isEnabled);
  return specs.length > 0 ? new ArchiveFold(specs) : undefined;
}
