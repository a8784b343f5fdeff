export const TlsMode = {
  /** Upgrade when the server advertises STARTTLS (the default). */
  starttls: 'starttls',
  /** STARTTLS, and its absence is a failure. */
  requireStarttls: 'require-starttls',
  /** TLS from the first byte (port 465, RFC 8314). */
  implicit: 'implicit',
  plain: 'plain',
} as const;
export type TlsMode = (typeof TlsMode)[keyof typeof TlsMode];
