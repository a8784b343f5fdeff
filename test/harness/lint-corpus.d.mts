/** Types of lint-corpus.mjs (plain JavaScript so that bench/lint-corpus.mjs runs it with node). */

/** One line of `lint-mbox --format ndjson`. */
export interface NdjsonFinding {
  rule: string;
  severity: 'error' | 'warning' | 'info';
  file: string;
  message: number;
  line: number;
  offset: number;
  text: string;
  detail?: string;
  fromLine?: string;
  messageId?: string;
}

export type Judgement = 'real' | 'false-alarm' | 'unjudged';
export const Judgement: { readonly real: 'real'; readonly falseAlarm: 'false-alarm'; readonly unjudged: 'unjudged' };

export interface ExpectationRow {
  file: string;
  message: number;
  line: number;
  rule: string;
  judgement: Judgement;
  reason: string;
  text: string;
  /** Line of the TSV file (rows parsed from one). */
  at?: number;
}

export const REPO_ROOT: string;
export const EXPECTATIONS: { readonly realWorld: string; readonly originals: string; readonly mutations: string };
export const EXPECTATIONS_COLUMNS: readonly string[];

export function corporaDir(): string;
export function realWorldDir(): string;
export function realWorldFiles(dir?: string): string[];
export function lintFiles(cwd: string, files: readonly string[], options?: { minSeverity?: 'info' | 'warning' | 'error' }): NdjsonFinding[];
export function splitMbox(bytes: Uint8Array): { start: number; end: number }[];
export function readIndex(dir?: string): Map<string, { repo: string; commit: string; path: string }>;
export function lineAt(bytes: Buffer, line: number): Buffer;
export function showBytes(bytes: Uint8Array, max?: number): string;

export function parseExpectations(text: string): ExpectationRow[];
export function formatExpectations(rows: readonly ExpectationRow[], preamble: readonly string[]): string;
export function compareWithExpectations(
  findings: readonly NdjsonFinding[],
  rows: readonly ExpectationRow[],
): { unlisted: NdjsonFinding[]; gone: ExpectationRow[]; unjudged: ExpectationRow[] };
export function updateExpectations(
  findings: readonly NdjsonFinding[],
  rows: readonly ExpectationRow[],
): { rows: ExpectationRow[]; added: ExpectationRow[]; removed: ExpectationRow[] };
export function precisionOf(rows: readonly ExpectationRow[]): {
  findings: number;
  real: number;
  falseAlarms: number;
  unjudged: number;
  precision: number;
  messages: number;
  falseAlarmMessages: number;
};
export function describeFinding(f: NdjsonFinding, bytes?: Uint8Array): string;
