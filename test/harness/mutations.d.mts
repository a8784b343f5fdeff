/** Types of mutations.mjs (plain JavaScript so that bench/lint-corpus.mjs runs it with node). */
import type { NdjsonFinding } from './lint-corpus.mjs';

export interface Line {
  text: string;
  eol: '\r\n' | '\n' | '';
}

export class Msg {
  lines: Line[];
  constructor(lines: Line[]);
  static parse(bytes: Uint8Array): Msg;
  clone(): Msg;
  readonly eol: string;
  toBuffer(): Buffer;
  headerEnd(): number;
  fields(): { name: string; lower: string; start: number; end: number }[];
  field(name: string): { name: string; lower: string; start: number; end: number } | undefined;
  value(name: string): string | undefined;
  setField(name: string, texts: string | string[], before?: string): number;
  oneLine(name: string): number;
  insert(at: number, texts: string | string[]): number;
  remove(name: string): Line[];
  moveBefore(name: string, before: string): number;
  fold(i: number): void;
  bodyRange(): { start: number; end: number };
}

export interface Kind {
  id: string;
  title: string;
  expect: string[];
  where?: 'line' | 'message';
  eol?: 'crlf';
  filler?: boolean;
  twinMin?: 'warning' | 'error';
  mutate(m: Msg, v: number): [number, number] | undefined;
  twin(m: Msg, v: number): void;
}

export const kinds: readonly Kind[];

export interface Original {
  id: string;
  file: string;
  message: number;
  offset: number;
  length: number;
  sha256: string;
  eol: 'lf' | 'crlf';
  origin: string;
}

export interface Case {
  kind?: string;
  original: string;
  role: 'original' | 'mutant' | 'twin';
  file: string;
  bytes: Buffer;
  message: number;
  /** 1-based file lines a finding must be on (mutants of `line` kinds). */
  lines?: [number, number];
  /** The message's bytes after its From_ line. */
  range: [number, number];
}

export interface Result extends Case {
  detected: boolean;
  found: NdjsonFinding[];
  extra?: string[];
}

export interface OutcomeRow {
  kind: string;
  original: string;
  outcome: 'miss' | 'twin-false-alarm';
  detail: string;
}

export const Outcome: { readonly miss: 'miss'; readonly falseAlarm: 'twin-false-alarm' };
export const ORIGINALS_COLUMNS: readonly string[];
export const OUTCOMES_COLUMNS: readonly string[];

export function addressOf(value: string): { addr: string; display: string; local: string; domain: string };
export function sha256(bytes: Uint8Array | string): string;
export function parseOriginals(text: string): Original[];
export function formatOriginals(rows: readonly Original[], preamble: readonly string[]): string;
export function loadOriginals(text: string, dir: string): (Original & { bytes: Buffer })[];
export function isMutable(msg: Msg): boolean;
export function buildCases(originals: readonly { id: string; bytes: Uint8Array; eol: string }[]): Case[];
export function writeCases(dir: string, cases: readonly { file: string; bytes: Uint8Array }[]): void;
export function evaluate(cases: readonly Case[], findings: readonly NdjsonFinding[]): Result[];
export function newRules(after: readonly string[], before: readonly string[]): string[];
export function outcomesOf(results: readonly Result[]): OutcomeRow[];
export function parseOutcomes(text: string): OutcomeRow[];
export function formatOutcomes(rows: readonly OutcomeRow[], preamble: readonly string[]): string;
export function tally(results: readonly Result[]): { kind: Kind; mutants: number; detected: number; twins: number; falseAlarms: number }[];
