/**
 * RFC 2047 encoded-words (`=?charset?B|Q?text?=`) wherever a field holds "=?". Words that
 * stand inside a quoted string are the address grammar's to report (address.ts).
 */

/**
 * What may be an encoded-word: charset, encoding and text (none of them holds "?" or white
 * space), then the closing "?=" as group 4 when there is one.
 */
const encodedWordLike = /=\?([^?\s]*)\?([^?\s]*)\?([^?\s]*)(\?=)?/g;

/** RFC 2047 §4.1: base64 in groups of four. */
const base64Text = /^[A-Za-z0-9+/]*={0,2}$/;
/** RFC 2047 §4.2: printable ASCII but for "=", "?" and space, and "=" only before two hex digits. */
const qText = /^(?:[!-<>@-~]|=[0-9A-Fa-f]{2})*$/;

/** RFC 2047 §2: charset, B or Q, encoded text without spaces, "?=" at its end, 75 characters at most. */
export function checkEncodedWords(value: string): string | undefined {
  for (const m of value.matchAll(encodedWordLike)) {
    const [word, charset, encoding, text, close] = m;
    const enc = encoding!.toUpperCase();
    if (close === undefined) {
      // "=?charset?Q?text" without its end: a reader shows it as it is. Only a word with the
      // shape of one, so that "=?" in other text is not taken for one.
      if (!(enc === 'B' || enc === 'Q') || !charset || !text) continue;
      return value[m.index + word.length] === '?' ? `${word}?…: "?" in the encoded text` : `${word}: not closed with "?="`;
    }
    if (!charset) return `${word}: no charset`;
    if (word.length > 75) return `${word.slice(0, 40)}…: longer than 75 characters`;
    if (enc === 'B') {
      if (!base64Text.test(text!) || text!.length % 4 !== 0) return `${word}: invalid base64`;
    } else if (enc === 'Q') {
      if (!qText.test(text!)) return `${word}: invalid Q encoding`;
    } else {
      return `${word}: unknown encoding "${encoding}"`;
    }
  }
  return undefined;
}
