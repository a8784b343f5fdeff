/**
 * TLS alert descriptions by number (RFC 8446 §6, RFC 5246 §7.2), so that an alert is shown
 * as "alert 70 protocol_version" whether OpenSSL reported it or it arrived where an SMTP
 * reply was expected.
 */
const alertNames: Record<number, string> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  21: 'decryption_failed',
  22: 'record_overflow',
  30: 'decompression_failure',
  40: 'handshake_failure',
  41: 'no_certificate',
  42: 'bad_certificate',
  43: 'unsupported_certificate',
  44: 'certificate_revoked',
  45: 'certificate_expired',
  46: 'certificate_unknown',
  47: 'illegal_parameter',
  48: 'unknown_ca',
  49: 'access_denied',
  50: 'decode_error',
  51: 'decrypt_error',
  60: 'export_restriction',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  100: 'no_renegotiation',
  109: 'missing_extension',
  110: 'unsupported_extension',
  111: 'certificate_unobtainable',
  112: 'unrecognized_name',
  113: 'bad_certificate_status_response',
  114: 'bad_certificate_hash_value',
  115: 'unknown_psk_identity',
  116: 'certificate_required',
  120: 'no_application_protocol',
};

/** "alert 70 protocol_version"; an unknown number is shown as a number alone. */
export function describeAlert(alert: number): string {
  const name = alertNames[alert];
  return name ? `alert ${alert} ${name}` : `alert ${alert}`;
}

export function alertName(alert: number): string | undefined {
  return alertNames[alert];
}

/** TLS record content types (RFC 8446 §5.1). */
const recordTypes: Record<number, string> = { 20: 'change_cipher_spec', 21: 'alert', 22: 'handshake', 23: 'application_data' };

export type TlsRecordSniff =
  | { kind: 'not-tls' }
  /** The first bytes could start a TLS record; more are needed to tell. */
  | { kind: 'need-more' }
  | { kind: 'record'; contentType: string; alert?: { level: 'warning' | 'fatal' | number; description: number } };

/**
 * Whether bytes that should start an SMTP reply line start a TLS record instead: a content
 * type of 20–23 and a major version of 3 (RFC 8446 §5.1). A reply line starts with a digit,
 * so the two never overlap. For an alert (RFC 8446 §6) the 7 bytes carry its description.
 */
export function sniffTlsRecord(bytes: Uint8Array): TlsRecordSniff {
  const type = bytes[0];
  if (type === undefined) return { kind: 'need-more' };
  const contentType = recordTypes[type];
  if (!contentType) return { kind: 'not-tls' };
  if (bytes.length < 2) return { kind: 'need-more' };
  if (bytes[1] !== 3) return { kind: 'not-tls' };
  if (type !== 21) return bytes.length >= 5 ? { kind: 'record', contentType } : { kind: 'need-more' };
  if (bytes.length < 7) return { kind: 'need-more' };
  const level = bytes[5]!;
  return { kind: 'record', contentType, alert: { level: level === 1 ? 'warning' : level === 2 ? 'fatal' : level, description: bytes[6]! } };
}
