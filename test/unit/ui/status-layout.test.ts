import { describe, expect, it } from 'vitest';
import type { StatusInfo } from '../../../src/ui/interactive/controller.js';
import { layoutStatus, statusSeparator, statusWidth } from '../../../src/ui/interactive/status-layout.js';
import { statusFields } from '../../../src/ui/interactive/status-line.js';
import { screenTail } from '../../../src/ui/interactive/screen-tail.js';

const verified: StatusInfo = {
  target: '127.0.0.1:42729',
  tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', verified: true, verifyError: null },
  lastReply: 250,
  terminator: 'crlf',
  inData: false,
};
const failed: StatusInfo = { ...verified, tls: { ...verified.tls!, verified: false, verifyError: 'self-signed certificate' }, lastReply: 535, terminator: 'cr' };

const shown = (status: StatusInfo, columns: number, phase: 'ready' | 'busy' = 'ready') =>
  layoutStatus(statusFields({ status, phase, queued: 0, exitCode: undefined, asking: false }), columns)
    .map((parts) => parts.map((part) => part.text).join(''))
    .join(statusSeparator);

describe('status line layout', () => {
  it('shows every field in full on a wide terminal', () => {
    expect(shown(verified, 120)).toBe('127.0.0.1:42729 │ TLSv1.3 TLS_AES_256_GCM_SHA384 │ verify ok │ last 250 │ term CRLF │ ready');
  });

  it.each([80, 60, 40])('keeps verification, the last code and the state longest, and fits %i columns', (columns) => {
    for (const status of [verified, failed]) {
      const line = shown(status, columns, 'busy');
      expect([...line].length).toBeLessThan(columns);
      expect(line).toMatch(status.tls!.verified ? /verify ok/ : /verify FAILED/);
      expect(line).toContain(String(status.lastReply));
      expect(line).toMatch(/waiting/);
      // A terminator other than CRLF is never hidden: it changes every byte sent.
      if (status.terminator !== 'crlf') expect(line).toContain('CR');
    }
  });

  it('on a terminal too narrow for the required fields, starts with verification (the renderer cuts the end)', () => {
    expect(shown(failed, 20)).toMatch(/^verify FAILED │ 535/);
    expect(shown(verified, 20)).toMatch(/^verify ok │ 250/);
  });

  it('drops the cipher name before the target, and the target before verification', () => {
    expect(shown(verified, 80)).toBe('127.0.0.1:42729 │ TLSv1.3 │ verify ok │ last 250 │ term CRLF │ ready');
    expect(shown(failed, 40)).toBe('verify FAILED │ 535 │ CR │ ready');
    expect(shown(failed, 80)).toContain('verify FAILED: self-signed certificate');
  });

  it('measures separators between fields only', () => {
    expect(statusWidth([[{ text: 'ab', tone: 'plain' }], [{ text: 'c', tone: 'plain' }]])).toBe(3 + statusSeparator.length);
    expect(statusWidth([])).toBe(0);
  });
});

describe('screen tail after the terminal narrows', () => {
  it('takes the last lines that fill the rows, counting the rows a long line wraps into', () => {
    const lines = ['one', 'x'.repeat(25), 'three', 'four'];
    // 10 columns: "four" 1 row, "three" 1, the 25-character line 3 rows: 5 of 5 rows.
    expect(screenTail(lines, 10, 5)).toBe(`${'x'.repeat(25)}\nthree\nfour\n`);
    expect(screenTail(lines, 10, 4)).toBe('three\nfour\n');
    expect(screenTail(lines, 10, 0)).toBe('');
  });

  it('counts visible characters, not colour codes', () => {
    expect(screenTail(['\u001b[31mred\u001b[39m', 'plain'], 5, 2)).toBe('\u001b[31mred\u001b[39m\nplain\n');
  });
});
