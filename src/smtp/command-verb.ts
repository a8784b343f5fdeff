/**
 * White space between the words of a command line, as servers see it: Postfix
 * (smtpd_token) splits at any ISSPACE character, not only the one SP of RFC 5321 §4.1.1.
 */
const SPACE = ' \t\v\f\r';

export const isCommandSpace = (byte: number): boolean => SPACE.includes(String.fromCharCode(byte));

/**
 * A command line's verb and argument, split as servers split them: at any white space,
 * skipping it before the verb, so `AUTH<TAB>PLAIN<TAB>payload` is an AUTH command to
 * Postfix. Whoever reads a client's lines (to redact them, to answer them) must read them
 * the same way, or a secret in a line the server takes as AUTH is recorded in clear.
 */
export function splitCommandLine(text: string): { verb: string; argument: string; word: string } {
  const match = new RegExp(`^[${SPACE}]*([^${SPACE}]*)[${SPACE}]*(.*)$`, 's').exec(text)!;
  // `word` is the verb as the client wrote it, for echoing back (`Command unrecognized: "frob"`).
  return { verb: match[1]!.toUpperCase(), argument: match[2]!, word: match[1]! };
}
