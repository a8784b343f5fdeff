/**
 * RFC 2047 encoded-words (`=?charset?B|Q?text?=`) wherever a field holds "=?". Words that
 * stand inside a quoted string are the address grammar's to report (address.ts).
 */
const encodedWordLike = /=\?([^?\s]*)\?([^?\s]*)\?([^?\s]*)\?=/g;

/** RFC 2047 §2: charset, B or Q, encoded text without spaces, 75 characters at most. */
export function checkEncodedWords(value: string): string | undefined {
  for (const m of value.matchAll(encodedWordLike)) {
    const [word, charset, encoding, text] = m;
    if (!charset) return `${word}: no charset`;
    if (word.length > 75) return `${word.slice(0, 40)}…: longer than 75 characters`;
    const enc = encoding!.toUpperCase();
    if (enc === 'B') {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text!) || text!.length % 4 !== 0) return `${word}: invalid base64`;
    } else if (enc === 'Q') {
      if (!/^(?:[!->@-~]|=[0-9A-Fa-f]{2})*$/.test(text!)) return `${word}: invalid Q encoding`;
    } else {
      return `${word}: unknown encoding "${encoding}"`;
    }
  }
  return undefined;
}
