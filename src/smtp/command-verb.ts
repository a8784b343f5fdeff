/**
 * A command line's verb and argument, split as servers split them. RFC 5321 §4.1.1 puts one
 * SP between them, but Postfix (smtpd_token) splits at any white space and skips it before
 * the verb, so `AUTH<TAB>PLAIN<TAB>payload` is an AUTH command to it. Whoever reads a
 * client's lines (to redact them, to answer them) must read them the same way, or a secret
 * in a line the server takes as AUTH is recorded in clear.
 */
export function splitCommandLine(text: string): { verb: string; argument: string } {
  const match = /^[ \t\v\f\r]*([^ \t\v\f\r]*)[ \t\v\f\r]*(.*)$/s.exec(text)!;
  return { verb: match[1]!.toUpperCase(), argument: match[2]! };
}
