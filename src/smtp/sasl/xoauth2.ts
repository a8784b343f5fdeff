/**
 * XOAUTH2 (Google's and Microsoft's SASL mechanism for OAuth 2.0 bearer tokens): one
 * initial response `user=U ^A auth=Bearer TOKEN ^A ^A`. A refused token gets a 334 whose
 * base64 text is a JSON error; the client answers with an empty line and the server
 * then sends its 535. Text in, text out: the base64 of AUTH (RFC 4954 §4) is the caller's.
 */
const SEP = '\x01';

export function xoauth2InitialResponse(user: string, token: string): string {
  return `user=${user}${SEP}auth=Bearer ${token}${SEP}${SEP}`;
}

/** The server's reading of an initial response; undefined when it is not one. */
export function parseXoauth2(response: string): { user: string; token: string } | undefined {
  if (!response.endsWith(SEP + SEP)) return undefined;
  let user: string | undefined;
  let token: string | undefined;
  for (const field of response.slice(0, -2).split(SEP)) {
    if (field.startsWith('user=')) user = field.slice(5);
    else if (/^auth=Bearer /i.test(field)) token = field.slice(12);
  }
  return user !== undefined && token ? { user, token } : undefined;
}

/** The JSON a server puts in its 334 when the token is refused (the form Google uses). */
export function xoauth2ErrorChallenge(scope = ''): string {
  return JSON.stringify({ status: '401', schemes: 'bearer', scope });
}
