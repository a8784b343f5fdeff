import { ruleById } from './rules/catalog.js';
import { MboxScanner } from './scanner.js';
import type { Finding } from './types.js';

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
/** Past this many bytes without `windowMessages` messages, the messages seen so far decide. */
export const windowBytes = 4 << 20;

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

/** Ends the detector's scan once the window is full: the rest of the file is not linted twice. */
class WindowFull extends Error {}

/**
 * Lints a file's first messages (`windowMessages`, or what `windowBytes` hold) and decides
 * which patterns hold across them. Fed the file's first chunks like a scanner; `push`
 * returns true once it has seen enough.
 */
export class ArchivePatternDetector {
  private readonly messages: Finding[][] = [];
  private readonly scanner: MboxScanner;
  private bytes = 0;
  private done = false;

  /** `sniffBytes` as the file's own scan has it (tests make it small). */
  constructor(file: string, isEnabled: (rule: string) => boolean, sniffBytes?: number) {
    this.scanner = new MboxScanner({
      file,
      framing: true,
      isEnabled,
      sniffBytes,
      origins: false,
      onMessage: (_info, findings) => {
        this.messages.push(findings);
        if (this.messages.length >= windowMessages) throw new WindowFull();
      },
    });
  }

  push(chunk: Uint8Array): boolean {
    if (this.done) return true;
    this.bytes += chunk.length;
    this.scanUntilFull(() => this.scanner.push(chunk));
    this.done ||= this.bytes >= windowBytes;
    return this.done;
  }

  /** The input ended before the window was full: its last message counts too. */
  end(): void {
    if (!this.done) this.scanUntilFull(() => this.scanner.end());
    this.done = true;
  }

  private scanUntilFull(scan: () => void): void {
    try {
      scan();
    } catch (error) {
      if (!(error instanceof WindowFull)) throw error;
      this.done = true;
    }
  }

  specs(): FoldSpec[] {
    const window = this.messages.length;
    const specs: FoldSpec[] = [];
    for (const pattern of archivePatterns) {
      let first: Finding | undefined;
      let carried = 0;
      const rules = new Set<string>();
      for (const findings of this.messages) {
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
export function foldFor(chunks: readonly Uint8Array[], file: string, isEnabled: (rule: string) => boolean, sniffBytes?: number): ArchiveFold | undefined {
  const detector = new ArchivePatternDetector(file, isEnabled, sniffBytes);
  if (!chunks.some((chunk) => detector.push(chunk))) detector.end();
  const specs = detector.specs();
  return specs.length > 0 ? new ArchiveFold(specs) : undefined;
}
