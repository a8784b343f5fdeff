import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../src/transcript/events.js';
import { plainTextLine } from '../../../src/transcript/text-format.js';
import { HistoryRing } from '../../../src/ui/interactive/history.js';
import { emptyEdit, interpretTyped, LineEditor, type EditState } from '../../../src/ui/interactive/line-editor.js';
import { explainReply } from '../../../src/ui/interactive/reply-explanation.js';
import { ScrollbackModel } from '../../../src/ui/interactive/scrollback-model.js';

describe('HistoryRing', () => {
  it('walks back and forth and returns the draft past the newest entry', () => {
    const history = new HistoryRing();
    history.add('EHLO a');
    history.add('NOOP');
    expect(history.previous('MAIL FR')).toBe('NOOP');
    expect(history.previous('NOOP')).toBe('EHLO a');
    expect(history.previous('EHLO a')).toBeUndefined();
    expect(history.next()).toBe('NOOP');
    expect(history.next()).toBe('MAIL FR');
    expect(history.next()).toBeUndefined();
  });

  it('skips blank lines and immediate repeats, and forgets the oldest beyond its capacity', () => {
    const history = new HistoryRing(2);
    for (const line of ['A', 'A', '  ', 'B', 'C']) history.add(line);
    expect(history.size).toBe(2);
    expect(history.previous('')).toBe('C');
    expect(history.previous('')).toBe('B');
    expect(history.previous('')).toBeUndefined();
  });

  it('starts again from the newest entry after a line is submitted', () => {
    const history = new HistoryRing();
    history.add('A');
    history.add('B');
    history.previous('');
    history.previous('');
    history.add('A');
    expect(history.previous('')).toBe('A');
    expect(history.previous('')).toBe('B');
  });
});

describe('LineEditor', () => {
  const state = (text: string, cursor: number): EditState => ({ text, cursor });

  it.each([
    ['insert in the middle', LineEditor.insert(state('NOP', 2), 'O'), state('NOOP', 3)],
    ['backspace', LineEditor.backspace(state('NOOP', 2)), state('NOP', 1)],
    ['backspace at the start', LineEditor.backspace(state('NOOP', 0)), state('NOOP', 0)],
    ['delete forward', LineEditor.deleteForward(state('NOOP', 0)), state('OOP', 0)],
    ['delete forward at the end', LineEditor.deleteForward(state('NOOP', 4)), state('NOOP', 4)],
    ['left stops at 0', LineEditor.left(state('A', 0)), state('A', 0)],
    ['right stops at the end', LineEditor.right(state('A', 1)), state('A', 1)],
    ['home', LineEditor.home(state('MAIL', 3)), state('MAIL', 0)],
    ['end', LineEditor.end(state('MAIL', 1)), state('MAIL', 4)],
    ['kill to start', LineEditor.killToStart(state('MAIL FROM', 5)), state('FROM', 0)],
    ['kill to end', LineEditor.killToEnd(state('MAIL FROM', 4)), state('MAIL', 4)],
    ['delete word back', LineEditor.deleteWordBack(state('RCPT TO:<a@b> x', 13)), state('RCPT  x', 5)],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it('starts empty', () => {
    expect(emptyEdit).toEqual({ text: '', cursor: 0 });
  });
});

describe('interpretTyped', () => {
  it('submits every pasted line, in order, and keeps the unfinished rest', () => {
    expect(interpretTyped('EHLO a\r\nNOOP\rQUIT\nMAIL')).toEqual([
      { kind: 'insert', text: 'EHLO a' },
      { kind: 'submit' },
      { kind: 'insert', text: 'NOOP' },
      { kind: 'submit' },
      { kind: 'insert', text: 'QUIT' },
      { kind: 'submit' },
      { kind: 'insert', text: 'MAIL' },
    ]);
  });

  it('turns control keys that arrive inside a chunk into edits instead of text', () => {
    expect(interpretTyped('xyz\x15:help\x7f\x03\x04')).toEqual([
      { kind: 'insert', text: 'xyz' },
      { kind: 'edit', op: 'killToStart' },
      { kind: 'insert', text: ':help' },
      { kind: 'edit', op: 'backspace' },
      { kind: 'interrupt' },
      { kind: 'eof' },
    ]);
  });

  it('drops other control bytes rather than sending them unseen', () => {
    expect(interpretTyped('A\x00\x1bB\tC')).toEqual([{ kind: 'insert', text: 'AB\tC' }]);
  });
});

describe('explainReply', () => {
  it.each([
    [250, undefined, undefined],
    [354, undefined, undefined],
    [535, undefined, '535: authentication credentials invalid'],
    [451, undefined, '451: local error in processing (often greylisting: try again later)'],
    [499, undefined, '499: temporary failure, try again later'],
    // The transcript formatter already explains a known enhanced code: no second line.
    [535, '5.7.8', undefined],
    // Without an enhanced code the basic code is explained.
    [550, undefined, '550: mailbox unavailable (not found, no access, or refused for policy reasons)'],
  ])('%i %s', (code, enhanced, text) => {
    expect(explainReply(code, enhanced)).toBe(text);
  });
});

describe('ScrollbackModel', () => {
  let t = 0;
  const ev = (event: Record<string, unknown>): SessionEvent => ({ t: t++, tls: false, ...event }) as unknown as SessionEvent;
  const recv = (text: string) => ev({ type: 'recv', data: Buffer.from(text, 'latin1') });
  const shown = (model: ScrollbackModel) => model.lines.map(plainTextLine);

  it('shows the decoded challenge under a 334 once, coloured like the reply', () => {
    const model = new ScrollbackModel();
    model.addEvent(recv('334 VXNlcm5hbWU6\r\n'), false);
    model.addEvent(ev({ type: 'reply', code: 334, lines: ['VXNlcm5hbWU6'] }), false);
    expect(shown(model)).toEqual(['<-  334 VXNlcm5hbWU6␍␊', '=== 334 challenge decoded: "Username:"']);
    expect(model.lines[1]!.replyCode).toBe(334);
  });

  it('explains enhanced codes of negative replies in words, coloured like the reply', () => {
    const model = new ScrollbackModel();
    model.addEvent(recv('535 5.7.8 Authentication failed\r\n'), false);
    model.addEvent(ev({ type: 'reply', code: 535, lines: ['5.7.8 Authentication failed'], enhanced: '5.7.8' }), false);
    expect(shown(model)).toEqual(['<-  535 5.7.8 Authentication failed␍␊', '=== 5.7.8: permanent failure: authentication credentials invalid']);
    expect(model.lines[1]!.replyCode).toBe(535);
  });

  it('shows a close the user did not ask for as an error, and one after QUIT as information', () => {
    const unexpected = new ScrollbackModel();
    unexpected.addEvent(ev({ type: 'close', by: 'peer', reason: 'server closed the connection after 535 5.7.8 Authentication failed' }), false);
    expect(unexpected.lines[0]).toMatchObject({ kind: 'error', marker: '*** ' });
    const expected = new ScrollbackModel();
    expected.addEvent(ev({ type: 'close', by: 'peer', reason: 'server closed the connection' }), true);
    expect(expected.lines[0]).toMatchObject({ kind: 'info', marker: '=== ' });
  });

  it('keeps only the last lines, with ids that keep increasing', () => {
    const model = new ScrollbackModel(3);
    for (let i = 0; i < 5; i++) model.addLocal(`line ${i}`);
    expect(model.lines.map((l) => l.id)).toEqual([2, 3, 4]);
    expect(shown(model)).toEqual(['=== line 2', '=== line 3', '=== line 4']);
  });

  it('cuts a giant line on screen and says how much is hidden', () => {
    const model = new ScrollbackModel();
    model.addEvent(recv(`220 ${'x'.repeat(10_000)}\r\n`), false);
    const text = shown(model)[0]!;
    expect(text.length).toBeLessThan(4200);
    expect(text).toMatch(/… \(\d+ more characters not shown\)$/);
  });
});
