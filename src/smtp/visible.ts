/**
 * Splits bytes into display segments so that line terminators and control bytes can be
 * shown. A CR only ends a line when an LF follows it (RFC 5321 §2.3.8): a lone CR or a
 * lone LF is its own segment kind so reporters can flag it. This module only classifies;
 * colours belong to src/ui/.
 */
export type SegmentKind = 'text' | 'crlf' | 'bare-cr' | 'bare-lf' | 'control';

export interface Segment {
  kind: SegmentKind;
  /** For text: the bytes decoded as latin1. For the others: the symbol to show. */
  text: string;
}

const controlPictures = (b: number): string => (b === 0x7f ? '␡' : String.fromCharCode(0x2400 + b));

export function segmentBytes(bytes: Uint8Array): Segment[] {
  const out: Segment[] = [];
  let text = '';
  const flush = () => {
    if (text) out.push({ kind: 'text', text });
    text = '';
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x0d) {
      flush();
      if (bytes[i + 1] === 0x0a) {
        out.push({ kind: 'crlf', text: '␍␊' });
        i++;
      } else {
        out.push({ kind: 'bare-cr', text: '␍' });
      }
    } else if (b === 0x0a) {
      flush();
      out.push({ kind: 'bare-lf', text: '␊' });
    } else if (b < 0x20 && b !== 0x09 || b === 0x7f) {
      flush();
      out.push({ kind: 'control', text: controlPictures(b) });
    } else {
      text += String.fromCharCode(b);
    }
  }
  flush();
  return out;
}

/** Plain rendering without colour: `␍␊` for CRLF, `␍`/`␊` for bare ones, control pictures. */
export function showBytes(bytes: Uint8Array): string {
  return segmentBytes(bytes).map((s) => s.text).join('');
}
