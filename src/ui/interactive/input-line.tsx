import { Text, useInput, type Key } from 'ink';
import { useReducer, useRef } from 'react';
import { HistoryRing } from './history.js';
import { emptyEdit, interpretTyped, LineEditor, type EditState } from './line-editor.js';

export interface InputLineProps {
  prompt: string;
  /** Shows nothing of what is typed, not even its length (the password prompt). */
  masked: boolean;
  onSubmit: (line: string) => void;
  onInterrupt: () => void;
  history: HistoryRing;
}

/**
 * The line being typed. Its state lives in a ref, not in React state: keys arrive faster
 * than renders (a paste, a test writing to stdin), and each must see the previous one's
 * result. Several pasted lines are submitted one by one, so nothing typed is lost.
 */
export function InputLine({ prompt, masked, onSubmit, onInterrupt, history }: InputLineProps) {
  const edit = useRef<EditState>(emptyEdit);
  const [, redraw] = useReducer((n: number) => n + 1, 0);

  const submit = () => {
    const line = edit.current.text;
    edit.current = emptyEdit;
    if (!masked) history.add(line);
    onSubmit(line);
  };

  /** Ctrl-D: end of input on an empty line (as in a shell), delete forward otherwise. */
  const eof = () => {
    if (edit.current.text === '') onInterrupt();
    else edit.current = LineEditor.deleteForward(edit.current);
  };

  useInput((input: string, key: Key) => {
    const s = edit.current;
    if (key.ctrl && input === 'c') return onInterrupt();
    if (key.ctrl && input === 'd') eof();
    else if (key.return) submit();
    else if (key.upArrow && !masked) edit.current = LineEditor.set(history.previous(s.text) ?? s.text);
    else if (key.downArrow && !masked) edit.current = LineEditor.set(history.next() ?? s.text);
    else if (key.leftArrow) edit.current = LineEditor.left(s);
    else if (key.rightArrow) edit.current = LineEditor.right(s);
    else if (key.home || (key.ctrl && input === 'a')) edit.current = LineEditor.home(s);
    else if (key.end || (key.ctrl && input === 'e')) edit.current = LineEditor.end(s);
    else if (key.ctrl && input === 'u') edit.current = LineEditor.killToStart(s);
    else if (key.ctrl && input === 'k') edit.current = LineEditor.killToEnd(s);
    else if (key.ctrl && input === 'w') edit.current = LineEditor.deleteWordBack(s);
    // Ink reports the Backspace key (DEL, 0x7f) as `delete`; both erase to the left.
    else if (key.backspace || key.delete) edit.current = LineEditor.backspace(s);
    else if (!key.ctrl && !key.meta && !key.escape && !key.tab && input !== '') {
      for (const action of interpretTyped(input)) {
        if (action.kind === 'insert') edit.current = LineEditor.insert(edit.current, action.text);
        else if (action.kind === 'edit') edit.current = LineEditor[action.op](edit.current);
        else if (action.kind === 'submit') submit();
        else if (action.kind === 'eof') eof();
        else return onInterrupt();
      }
    } else return;
    redraw();
  });

  const { text, cursor } = edit.current;
  if (masked) {
    return (
      <Text>
        <Text color="cyan" bold>{prompt}</Text>
        <Text inverse> </Text>
      </Text>
    );
  }
  const shown = text;
  return (
    <Text>
      <Text color="cyan" bold>{prompt}</Text>
      {shown.slice(0, cursor)}
      <Text inverse>{shown[cursor] ?? ' '}</Text>
      {shown.slice(cursor + 1)}
    </Text>
  );
}
