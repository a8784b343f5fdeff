import { readFileSync } from 'node:fs';
import { parse, printParseErrorCode, visit } from 'jsonc-parser';
import { basename } from 'node:path';
import { fileError, InputError, SmtpdbgError } from '../../errors.js';
import { parseEscaped } from '../../smtp/escapes.js';
import type { Decision, ReplySpec, ServerBehaviour, SessionState } from '../behaviour.js';
import type { Scenario } from './scenario.js';

/**
 * `serve --scenario FILE`: a JSON file (comments allowed) whose rules say how to answer.
 * The format is documented in `smtpdbg serve --help` (and fixtures/scenarios/example.jsonc is
 * an example that the tests follow).
 *
 *   { "description": "…",
 *     "capabilities": { "remove": ["PIPELINING"], "add": ["X-DEMO"] },
 *     "idleTimeoutMs": 10000,
 *     "rules": [ { "on": "command", "verb": "RCPT", "occurrence": 1,
 *                  "reply": "451 4.7.1 Try again later", "delayMs": 200 } ] }
 *
 * The first rule that matches decides; when none does, the server answers as usual.
 */

const RULE_EVENTS = ['connect', 'command', 'auth', 'message', 'recipient', 'idle'] as const;
type RuleEvent = (typeof RULE_EVENTS)[number];

const STATES: readonly SessionState[] = ['greeting', 'ready', 'mail', 'rcpt', 'data', 'bdat', 'auth'];

/** Which match keys each event takes; the action keys are the same for all. */
const MATCH_KEYS: Record<RuleEvent, readonly string[]> = {
  connect: [],
  command: ['verb', 'match', 'state', 'occurrence', 'tls', 'pipelined'],
  auth: ['match', 'tls'],
  message: ['match', 'occurrence', 'tls'],
  // LMTP: `match` is the recipient's address, `occurrence` its place among the accepted ones.
  recipient: ['match', 'occurrence', 'tls'],
  idle: ['tls'],
};
const ACTION_KEYS = ['reply', 'raw', 'delayMs', 'close', 'abortTls'] as const;

interface Facts {
  verb?: string;
  /** The command line, the AUTH identity or the message content, as latin1. */
  text?: string;
  state?: SessionState;
  occurrence?: number;
  tls: boolean;
  pipelined?: boolean;
}

interface Rule {
  on: RuleEvent;
  test: (facts: Facts) => boolean;
  decision: Decision;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What went wrong, worded as JSON.parse words it, from jsonc-parser's error code. */
function syntaxMessage(code: string, token: string, inside: 'object' | 'array' | undefined): string {
  if (token === '' && code !== 'UnexpectedEndOfString' && code !== 'UnexpectedEndOfComment') return 'Unexpected end of JSON input';
  const found = `Unexpected token ${JSON.stringify(token).replace(/^"|"$/g, "'")}`;
  switch (code) {
    case 'CommaExpected':
      return inside === 'array' ? "Expected ',' or ']' after array element" : "Expected ',' or '}' after property value";
    case 'ColonExpected':
      return "Expected ':' after property name";
    case 'PropertyNameExpected':
      return 'Expected a property name in double quotes';
    case 'CloseBraceExpected':
      return "Expected ',' or '}' after property value";
    case 'CloseBracketExpected':
      return "Expected ',' or ']' after array element";
    case 'EndOfFileExpected':
      return 'Unexpected non-whitespace character after JSON';
    case 'InvalidNumberFormat':
    case 'UnexpectedEndOfNumber':
      return 'Invalid number';
    case 'UnexpectedEndOfString':
      return 'Unterminated string';
    case 'UnexpectedEndOfComment':
      return 'Unterminated comment';
    case 'InvalidUnicode':
    case 'InvalidEscapeCharacter':
      return 'Bad escape in string';
    case 'InvalidCharacter':
      return 'Bad control character in string';
    default:
      return found;
  }
}

/**
 * JSON with comments (`//`, `/* *\/`), read by jsonc-parser. A syntax error is thrown as one
 * line naming the file and the line:column (1-based) where the first error is.
 */
function parseJsonc(text: string, file: string): Json {
  const containers: Array<'object' | 'array'> = [];
  let first: string | undefined;
  visit(text, {
    onObjectBegin: () => void containers.push('object'),
    onObjectEnd: () => void containers.pop(),
    onArrayBegin: () => void containers.push('array'),
    onArrayEnd: () => void containers.pop(),
    onError: (code, offset, length, startLine, startCharacter) => {
      if (first !== undefined) return;
      const token = text.slice(offset, offset + Math.max(length, 1)).trim();
      first = `${file}:${startLine + 1}:${startCharacter + 1}: invalid JSON: ${syntaxMessage(printParseErrorCode(code), token, containers.at(-1))}`;
    },
  }, { allowTrailingComma: false, disallowComments: false });
  if (first !== undefined) throw new InputError(first);
  return parse(text, [], { allowTrailingComma: false }) as Json;
}

function describe(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return JSON.stringify(value);
}

class RuleReader {
  constructor(private readonly file: string) {}

  /** Every validation error names the file and where in it: `FILE: rules[2].close: …`. */
  fail(where: string, message: string): never {
    throw new InputError(`${this.file}: ${where}: ${message}`);
  }

  object(value: Json | undefined, where: string, known: readonly string[]): Record<string, Json> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(where, `expected an object, got ${describe(value ?? null)}`);
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) this.fail(where, `unknown key ${JSON.stringify(key)} (known here: ${known.join(', ')})`);
    }
    return value;
  }

  string(value: Json, where: string): string {
    if (typeof value !== 'string') this.fail(where, `expected a string, got ${describe(value)}`);
    return value;
  }

  strings(value: Json, where: string): string[] {
    if (typeof value === 'string') return [value];
    if (!Array.isArray(value) || value.length === 0) this.fail(where, `expected a string or a non-empty array of strings, got ${describe(value)}`);
    return value.map((item, i) => this.string(item, `${where}[${i}]`));
  }

  boolean(value: Json, where: string): boolean {
    if (typeof value !== 'boolean') this.fail(where, `expected true or false, got ${describe(value)}`);
    return value;
  }

  count(value: Json, where: string, minimum: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) this.fail(where, `expected a whole number ≥ ${minimum}, got ${describe(value)}`);
    return value;
  }

  regex(value: Json, where: string): RegExp {
    const source = this.string(value, where);
    try {
      return new RegExp(source, 'i');
    } catch (error) {
      return this.fail(where, `invalid regular expression: ${(error as Error).message}`);
    }
  }

  /** `3` matches the third occurrence only; `"3+"` the third and every later one. */
  occurrence(value: Json, where: string): (n: number) => boolean {
    if (typeof value === 'number') {
      const n = this.count(value, where, 1);
      return (k) => k === n;
    }
    const match = typeof value === 'string' ? /^([1-9]\d*)\+$/.exec(value) : null;
    if (!match) this.fail(where, `expected a whole number ≥ 1 or "N+", got ${describe(value)}`);
    const from = Number(match[1]);
    return (k) => k >= from;
  }

  /** Reply lines as they go on the wire, CRLF added (RFC 5321 §4.2: "250-first", "250 last"). */
  reply(value: Json, where: string): ReplySpec {
    const lines = this.strings(value, where);
    const code = /^([2-5]\d\d)(?:[ -]|$)/.exec(lines[0]!);
    if (!code) this.fail(`${where}[0]`, `a reply line starts with a code 200-599 and a space or "-", got ${JSON.stringify(lines[0])}`);
    const raw = Buffer.from(lines.map((line) => `${line}\r\n`).join(''), 'utf8');
    return { code: Number(code[1]), lines, raw };
  }

  /** Bytes sent exactly as written, in the escape syntax of `:raw` (\r \n \xHH …); no CRLF is added. */
  raw(value: Json, where: string): ReplySpec {
    const text = this.string(value, where);
    let raw: Buffer;
    try {
      raw = parseEscaped(text, 'raw');
    } catch (error) {
      return this.fail(where, error instanceof SmtpdbgError ? error.message : String(error));
    }
    const code = /^\d{3}/.exec(raw.toString('latin1'));
    return { code: code ? Number(code[0]) : 0, lines: [raw.toString('latin1')], raw };
  }

  rule(value: Json | undefined, index: number): Rule {
    const where = `rules[${index}]`;
    const first = this.object(value, where, ['on', ...Object.values(MATCH_KEYS).flat(), ...ACTION_KEYS, 'comment']);
    const on = first.on === undefined ? 'command' : this.string(first.on, `${where}.on`);
    if (!(RULE_EVENTS as readonly string[]).includes(on)) this.fail(`${where}.on`, `expected one of ${RULE_EVENTS.join(', ')}, got ${JSON.stringify(on)}`);
    const event = on as RuleEvent;
    const spec = this.object(first, where, ['on', ...MATCH_KEYS[event], ...ACTION_KEYS, 'comment']);
    if (spec.comment !== undefined) this.string(spec.comment, `${where}.comment`);

    const tests: Array<(facts: Facts) => boolean> = [];
    if (spec.verb !== undefined) {
      const verb = this.string(spec.verb, `${where}.verb`).toUpperCase();
      tests.push((f) => f.verb === verb);
    }
    if (spec.match !== undefined) {
      const pattern = this.regex(spec.match, `${where}.match`);
      tests.push((f) => pattern.test(f.text ?? ''));
    }
    if (spec.state !== undefined) {
      const states = this.strings(spec.state, `${where}.state`);
      states.forEach((state, i) => {
        if (!(STATES as readonly string[]).includes(state)) this.fail(`${where}.state${Array.isArray(spec.state) ? `[${i}]` : ''}`, `expected one of ${STATES.join(', ')}, got ${JSON.stringify(state)}`);
      });
      tests.push((f) => f.state !== undefined && states.includes(f.state));
    }
    if (spec.occurrence !== undefined) {
      const occurs = this.occurrence(spec.occurrence, `${where}.occurrence`);
      tests.push((f) => f.occurrence !== undefined && occurs(f.occurrence));
    }
    if (spec.tls !== undefined) {
      const tls = this.boolean(spec.tls, `${where}.tls`);
      tests.push((f) => f.tls === tls);
    }
    if (spec.pipelined !== undefined) {
      const pipelined = this.boolean(spec.pipelined, `${where}.pipelined`);
      tests.push((f) => f.pipelined === pipelined);
    }

    const decision: Decision = {};
    if (spec.reply !== undefined && spec.raw !== undefined) this.fail(where, 'give "reply" or "raw", not both');
    if (spec.reply !== undefined) decision.reply = this.reply(spec.reply, `${where}.reply`);
    if (spec.raw !== undefined) decision.reply = this.raw(spec.raw, `${where}.raw`);
    if (spec.delayMs !== undefined) decision.delayMs = this.count(spec.delayMs, `${where}.delayMs`, 0);
    if (spec.close !== undefined) {
      const close = spec.close;
      if (close !== 'now' && close !== 'after-reply') this.fail(`${where}.close`, `expected "now" or "after-reply", got ${describe(close)}`);
      decision.close = close;
    }
    if (spec.abortTls !== undefined && this.boolean(spec.abortTls, `${where}.abortTls`)) {
      if (event !== 'command' || typeof spec.verb !== 'string' || spec.verb.toUpperCase() !== 'STARTTLS') {
        this.fail(`${where}.abortTls`, 'only a command rule with "verb": "STARTTLS" can abort the TLS handshake');
      }
      if (decision.reply || decision.close) this.fail(`${where}.abortTls`, 'the 220 is sent and the handshake aborted; "reply" and "close" do not apply');
      decision.abortTls = true;
    }
    if (Object.keys(decision).length === 0) this.fail(where, `no action: give at least one of ${ACTION_KEYS.join(', ')}`);
    if (event === 'recipient' && (!decision.reply || Object.keys(decision).length > 1)) {
      this.fail(where, 'a "recipient" rule gives the reply for one LMTP recipient: "reply" or "raw", and nothing else');
    }
    if (decision.close === 'now' && decision.reply) this.fail(`${where}.close`, '"now" closes without a reply; use "after-reply" to send the reply first');
    return { on: event, test: (facts) => tests.every((t) => t(facts)), decision };
  }
}

/** Parses and validates a scenario file's text; errors name `file` and the rule or the JSON position. */
export function parseScenarioFile(text: string, file: string): Scenario {
  const reader: RuleReader = new RuleReader(file);
  const json = parseJsonc(text, file);
  const top = reader.object(json, 'top level', ['description', 'capabilities', 'idleTimeoutMs', 'lmtp', 'rules', 'comment']);
  if (top.description !== undefined) reader.string(top.description, 'description');
  if (top.comment !== undefined) reader.string(top.comment, 'comment');
  if (!Array.isArray(top.rules)) reader.fail('rules', `expected an array of rules, got ${describe(top.rules ?? null)}`);
  const rules = top.rules.map((rule, i) => reader.rule(rule, i));
  let remove: string[] = [];
  let add: string[] = [];
  if (top.capabilities !== undefined) {
    const capabilities = reader.object(top.capabilities, 'capabilities', ['remove', 'add']);
    if (capabilities.remove !== undefined) remove = reader.strings(capabilities.remove, 'capabilities.remove').map((k) => k.toUpperCase());
    if (capabilities.add !== undefined) add = reader.strings(capabilities.add, 'capabilities.add');
  }
  const idleTimeoutMs = top.idleTimeoutMs === undefined ? undefined : reader.count(top.idleTimeoutMs, 'idleTimeoutMs', 0);
  const lmtp = top.lmtp === undefined ? false : reader.boolean(top.lmtp, 'lmtp');

  const decide = (on: RuleEvent, facts: Facts): Decision | undefined => rules.find((r) => r.on === on && r.test(facts))?.decision;
  const has = (on: RuleEvent) => rules.some((r) => r.on === on);
  const behaviour: ServerBehaviour = {
    name: basename(file),
    ...(has('connect') ? { onConnect: (c) => decide('connect', { tls: c.tls }) } : {}),
    ...(has('command') ? {
      onCommand: (c) => decide('command', { verb: c.verb, text: c.line.toString('latin1'), state: c.state, occurrence: c.occurrence, tls: c.tls, pipelined: c.pipelined }),
    } : {}),
    ...(has('auth') ? { onAuth: (c) => decide('auth', { text: c.user, tls: c.tls }) } : {}),
    ...(has('message') ? { onMessage: (m) => decide('message', { text: m.data.toString('latin1'), occurrence: m.occurrence, tls: m.tls }) } : {}),
    ...(has('recipient') ? { onRecipientResult: (r) => decide('recipient', { text: r.recipient, occurrence: r.position, tls: r.tls })?.reply } : {}),
    ...(has('idle') ? { onIdle: (c) => decide('idle', { tls: c.tls }) } : {}),
    ...(remove.length > 0 || add.length > 0 ? {
      // A keyword is its first word (RFC 5321 §4.1.1.1: "SIZE 1000" is the SIZE keyword).
      capabilities: (_c, keywords) => [...keywords.filter((k) => !remove.includes(k.split(' ')[0]!.toUpperCase())), ...add],
    } : {}),
  };
  return { behaviour, ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }), ...(lmtp ? { lmtp } : {}) };
}

export function readScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw fileError(`--scenario ${file}`, 'read', error);
  }
  return parseScenarioFile(text, file);
}
