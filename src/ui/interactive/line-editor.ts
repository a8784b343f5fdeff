/** The text being typed and the cursor position in it (0 … text.length). */
export interface EditState {
  readonly text: string;
  readonly cursor: number;
}

export const emptyEdit: EditState = { text: '', cursor: 0 };

const at = (text: string, cursor = text.length): EditState => ({ text, cursor });

/**
 * Pure editing operations for the input line, so key handling can be tested without a
 * terminal. Positions count UTF-16 code units; SMTP lines are ASCII in practice.
 */
export const LineEditor = {
  set: (text: string): EditState => at(text),
  insert: (s: EditState, typed: string): EditState =>
    at(s.text.slice(0, s.cursor) + typed + s.text.slice(s.cursor), s.cursor + typed.length),
  backspace: (s: EditState): EditState =>
    s.cursor === 0 ? s : at(s.text.slice(0, s.cursor - 1) + s.text.slice(s.cursor), s.cursor - 1),
  deleteForward: (s: EditState): EditState =>
    s.cursor >= s.text.length ? s : at(s.text.slice(0, s.cursor) + s.text.slice(s.cursor + 1), s.cursor),
  left: (s: EditState): EditState => at(s.text, Math.max(0, s.cursor - 1)),
  right: (s: EditState): EditState => at(s.text, Math.min(s.text.length, s.cursor + 1)),
  home: (s: EditState): EditState => at(s.text, 0),
  end: (s: EditState): EditState => at(s.text),
  /** Ctrl-U: everything before the cursor. */
  killToStart: (s: EditState): EditState => at(s.text.slice(s.cursor), 0),
  /** Ctrl-K: everything from the cursor on. */
  killToEnd: (s: EditState): EditState => at(s.text.slice(0, s.cursor)),
  /** Ctrl-W: the word before the cursor and the spaces after it. */
  deleteWordBack: (s: EditState): EditState => {
    const before = s.text.slice(0, s.cursor).replace(/\S*\s*$/, '');
    return at(before + s.text.slice(s.cursor), before.length);
  },
} as const;

export type EditOp = 'backspace' | 'home' | 'end' | 'killToStart' | 'killToEnd' | 'deleteWordBack';

export type TypedAction =
  | { kind: 'insert'; text: string }
  | { kind: 'edit'; op: EditOp }
  | { kind: 'submit' }
  /** Ctrl-C. */
  | { kind: 'interrupt' }
  /** Ctrl-D: end of input on an empty line, delete forward otherwise. */
  | { kind: 'eof' };

const controlOps: Record<string, TypedAction> = {
  '\x01': { kind: 'edit', op: 'home' },
  '\x03': { kind: 'interrupt' },
  '\x04': { kind: 'eof' },
  '\x05': { kind: 'edit', op: 'end' },
  '\x08': { kind: 'edit', op: 'backspace' },
  '\x0b': { kind: 'edit', op: 'killToEnd' },
  '\x15': { kind: 'edit', op: 'killToStart' },
  '\x17': { kind: 'edit', op: 'deleteWordBack' },
  '\x7f': { kind: 'edit', op: 'backspace' },
};

/**
 * What a chunk of typed text means, in order. Keys pressed quickly (a paste, tmux
 * send-keys) reach the terminal reader as one chunk in which control keys are plain
 * characters, so they are interpreted here rather than lost or inserted. Each line end
 * (CR, LF or CRLF) submits the line so far: several pasted lines are all sent.
 */
export function interpretTyped(input: string): TypedAction[] {
  const actions: TypedAction[] = [];
  let text = '';
  const flush = () => {
    if (text) actions.push({ kind: 'insert', text });
    text = '';
  };
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (ch === '\r' || ch === '\n') {
      flush();
      actions.push({ kind: 'submit' });
      if (ch === '\r' && input[i + 1] === '\n') i++;
      continue;
    }
    const control = controlOps[ch];
    if (control) {
      flush();
      actions.push(control);
    } else if (ch >= ' ' || ch === '\t') {
      text += ch;
    }
  }
  flush();
  return actions;
}
