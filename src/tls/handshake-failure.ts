import { DEFAULT_MAX_VERSION, DEFAULT_MIN_VERSION } from 'node:tls';
import { alertName, describeAlert } from './alerts.js';
import type { TlsVersion } from './options.js';

/**
 * A TLS failure in the words of what happened ("the server answered in plain text"), with
 * the library's own text kept after it as detail, since that is what a search engine or a
 * mailing list knows. Node and OpenSSL report these as "Client network socket disconnected
 * before secure TLS connection was established" or "…ssl3_get_record:wrong version
 * number:…ssl3_record.c:350:".
 */

export interface OfferedVersions {
  minVersion?: TlsVersion | undefined;
  maxVersion?: TlsVersion | undefined;
}

/** "TLS 1.1", or "TLS 1.2 to 1.3": what our ClientHello offered. */
export function describeOffered(settings: OfferedVersions): string {
  const min = (settings.minVersion ?? DEFAULT_MIN_VERSION).replace(/^TLSv/, '').replace(/^1$/, '1.0');
  const max = (settings.maxVersion ?? DEFAULT_MAX_VERSION).replace(/^TLSv/, '').replace(/^1$/, '1.0');
  return min === max ? `TLS ${min}` : `TLS ${min} to ${max}`;
}

/** The library's words, without OpenSSL's addresses and source paths. */
export function libraryDetail(error: Error): string {
  const openssl = /error:[0-9A-Fa-f]+:[^:]*:([^:]*):([^:]*):/.exec(error.message);
  if (openssl) return `OpenSSL: ${openssl[1]}: ${openssl[2]}`;
  return `Node: ${error.message.trim()}`;
}

/** The TLS alert an OpenSSL error reports receiving, if it is one. */
function receivedAlert(error: Error & { code?: string }): number | undefined {
  const number = /SSL alert number (\d+)/.exec(error.message);
  if (number) return Number(number[1]);
  const fromCode = /^ERR_SSL_(?:TLSV13|TLSV1|SSLV3)_ALERT_(.+)$/.exec(error.code ?? '');
  if (!fromCode) return undefined;
  const name = fromCode[1]!.toLowerCase();
  for (let n = 0; n < 256; n++) if (alertName(n) === name) return n;
  return undefined;
}

/** What a TLS alert from the server means for the user, in words. */
function alertWords(alert: number, offered: string): string {
  const which = describeAlert(alert);
  switch (alert) {
    case 70:
      return `the server refused ${offered} (${which})`;
    case 40:
      return `the server refused the handshake (${which}): no cipher or parameters in common with what we offered (${offered}), or it wants a client certificate (--cert/--key)`;
    case 116:
      return `the server requires a client certificate (${which}): give one with --cert and --key`;
    case 42:
    case 43:
    case 44:
    case 45:
    case 46:
    case 48:
    case 49:
      return `the server rejected our client certificate (${which})`;
    case 112:
      return `the server does not know the name we sent in SNI (${which}): see --servername`;
    case 71:
      return `the server wants stronger security than we offered (${which}): see --ciphers and --tls-min`;
    case 80:
      return `the server failed in the handshake (${which})`;
    default:
      return `the server sent TLS ${which}`;
  }
}

/**
 * Why a TLS handshake (or the TLS session after it) failed. `closed`: the socket closed
 * without an error of its own.
 */
export function describeTlsFailure(error: (Error & { code?: string }) | undefined, settings: OfferedVersions): string {
  if (!error) return 'the server closed the connection after our ClientHello';
  const offered = describeOffered(settings);
  const detail = libraryDetail(error);
  const alert = receivedAlert(error);
  if (alert !== undefined) return `${alertWords(alert, offered)} (${detail})`;
  switch (error.code) {
    case 'ECONNRESET':
      return `the server closed the connection after our ClientHello (${detail})`;
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
    case 'ERR_SSL_HTTP_REQUEST':
    case 'ERR_SSL_RECORD_LAYER_FAILURE':
      return `the server answered in plain text (it does not speak TLS on this port, or STARTTLS was not really accepted) (${detail})`;
    case 'ERR_SSL_UNSUPPORTED_PROTOCOL':
      return `the server chose a TLS version outside what we offered (${offered}) (${detail})`;
    case 'ERR_SSL_NO_PROTOCOLS_AVAILABLE':
      return `no TLS version left to offer: --tls-min and --tls-max leave none this OpenSSL allows (${detail})`;
    case 'ERR_SSL_NO_SHARED_CIPHER':
    case 'ERR_SSL_NO_CIPHERS_AVAILABLE':
    case 'ERR_SSL_NO_CIPHER_MATCH':
      return `no cipher to offer or in common with the server: see --ciphers (${detail})`;
    default:
      return `TLS failed (${detail})`;
  }
}
