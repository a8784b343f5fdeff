import { describe, expect, it } from 'vitest';
import { composeEntity, parseAttachOption, parseBodyOption } from '../../../src/inject/compose.js';
import { editHeader, templateMessage } from '../../../src/inject/message.js';

describe('parseAttachOption (curl -F spelling)', () => {
  it.each([
    ['a.pdf', { path: 'a.pdf' }],
    ['a.bin;type=application/pdf', { path: 'a.bin', type: 'application/pdf' }],
    ['a;b.txt;filename=c.txt;type=text/plain', { path: 'a;b.txt', filename: 'c.txt', type: 'text/plain' }],
    ['dir/x;y', { path: 'dir/x;y' }],
  ])('%j', (value, expected) => {
    expect(parseAttachOption(value)).toEqual(expected);
  });

  it.each([
    ['', /give a file name/],
    [';type=text/plain', /give a file name/],
    ['a;type=text', /is no MIME type/],
    ['a;type=text/plain;type=text/html', /type= given twice/],
    ['a;filename=', /filename= cannot be empty/],
  ])('%j is a usage error', (value, message) => {
    expect(() => parseAttachOption(value)).toThrow(message);
  });
});

describe('parseBodyOption', () => {
  it('text, @file, @- and a bare @', () => {
    expect(parseBodyOption('hello')).toEqual({ text: 'hello' });
    expect(parseBodyOption('@note.txt')).toEqual({ file: 'note.txt' });
    expect(parseBodyOption('@-')).toEqual({ file: '-' });
    expect(() => parseBodyOption('@')).toThrow('--body @: give a file name after the @ (@- reads stdin)');
  });
});

describe('editHeader', () => {
  const lines = ['A: 1', 'Content-Type: multipart/mixed;', ' boundary="b"', 'A: 2', 'B: 3'];

  it('--header replaces every field of its name, continuation lines and all, where the first stood', () => {
    expect(editHeader(lines, ['a: x', 'Content-Type: text/plain'], [])).toEqual(['a: x', 'Content-Type: text/plain', 'B: 3']);
  });

  it('a --header naming no field follows the fields; --add-header comes last, even when the name exists', () => {
    expect(editHeader(lines, ['C: new'], ['B: again'])).toEqual([...lines, 'C: new', 'B: again']);
  });
});

describe('composeEntity and the template', () => {
  it('a text body alone: one part, its MIME fields after the template\'s, no Date or Message-ID of the composer\'s own', async () => {
    const entity = await composeEntity({ bytes: Buffer.from('hi\r\nthere\r'), from: 'TEXT' }, []);
    const message = templateMessage({ from: 'a@b', to: ['c@d'], variant: 'v', date: new Date(0), messageId: 'id@x' }, entity);
    const text = message.lines.map((line) => line.toString('latin1'));
    expect(text.filter((line) => /^(date|message-id):/i.test(line))).toEqual(['Date: Thu, 1 Jan 1970 00:00:00 +0000', 'Message-ID: <id@x>']);
    expect(text).toContain('Content-Type: text/plain; charset=utf-8');
    // CRLF and a bare CR in the text both become line ends of the message.
    expect(text.slice(text.indexOf('') + 1)).toEqual(['hi', 'there']);
    expect(message.source).toBe('built: text body (10 octets)');
  });

  it('an empty --body with an attachment still gives multipart/mixed with an empty text part first', async () => {
    const entity = await composeEntity({ bytes: Buffer.alloc(0), from: 'TEXT' }, [{ path: 'dir/a.txt', bytes: Buffer.from('a') }]);
    expect(entity.fields.join('\n')).toMatch(/^MIME-Version: 1\.0\nContent-Type: multipart\/mixed; boundary=/);
    const body = entity.body.map((line) => line.toString('latin1')).join('\n');
    expect(body).toMatch(/Content-Type: text\/plain; charset=utf-8\n[^]*Content-Type: text\/plain; name=a\.txt/);
  });

  it('a body that is not UTF-8 is refused, naming where it came from', async () => {
    await expect(composeEntity({ bytes: Buffer.from([0x41, 0xe9]), from: '@latin1.txt' }, [])).rejects.toThrow('--body @latin1.txt: the text is not UTF-8');
  });
});
