import { UsageError } from '../errors.js';

/**
 * Parses the escape syntax shared by `:raw`, `--eod` and scenario files:
 * `\r \n \t \0 \xHH \\`. Any other character stands for its own byte (latin1), so
 * every byte from 0 to 255 can be written.
 */
export function parseEscaped(text: string, what = 'escaped bytes'): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch !== 0x5c) {
      if (ch > 0xff) {
        throw new UsageError(`${what}: character ${JSON.stringify(text[i])} at offset ${i} is not a byte; write it as \\xHH escapes`);
      }
      bytes.push(ch);
      continue;
    }
    const next = text[i + 1];
    switch (next) {
      case 'r': bytes.push(0x0d); i++; break;
      case 'n': bytes.push(0x0a); i++; break;
      case 't': bytes.push(0x09); i++; break;
      case '0': bytes.push(0x00); i++; break;
      case '\\': bytes.push(0x5c); i++; break;
      case 'x': {
        const hex = text.slice(i + 2, i + 4);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
          throw new UsageError(`${what}: \\x at offset ${i} needs two hex digits`);
        }
        bytes.push(parseInt(hex, 16));
        i += 3;
        break;
      }
      case undefined:
        throw new UsageError(`${what}: lone backslash at the end (write \\\\ for a backslash)`);
      default:
        throw new UsageError(`${what}: unknown escape \\${next} at offset ${i} (known: \\r \\n \\t \\0 \\xHH \\\\)`);
    }
  }
  return Buffer.from(bytes);
}

/** The inverse of parseEscaped: printable ASCII stays, everything else is escaped. */
export function formatEscaped(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    if (b === 0x0d) out += '\\r';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x09) out += '\\t';
    else if (b === 0x00) out += '\\0';
    else if (b === 0x5c) out += '\\\\';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}
