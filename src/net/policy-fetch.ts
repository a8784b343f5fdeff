import { request } from 'node:https';
import { verifyReason } from '../tls/describe.js';

export interface PolicyFetch {
  url: string;
  /** The address connected to, resolved through the same DNS server as everything else. */
  address: string;
  port: number;
  status: number | null;
  contentType: string | null;
  body: string | null;
  /** Why no policy could be read, in words; null when the body was read. */
  error: string | null;
}

/** Senders need not read more (RFC 8461 §3.3 lets them cap the size; 64 KiB is common). */
export const POLICY_LIMIT = 64 * 1024;

export interface PolicyFetchOptions {
  domain: string;
  address: string;
  port: number;
  timeoutMs: number;
  ca?: Buffer;
}

/**
 * GET https://mta-sts.DOMAIN/.well-known/mta-sts.txt (RFC 8461 §3.3): the certificate must be
 * valid for mta-sts.DOMAIN, redirects are not followed, only 200 with text/plain counts.
 */
export function fetchPolicy(options: PolicyFetchOptions): Promise<PolicyFetch> {
  const host = `mta-sts.${options.domain}`;
  const url = `https://${host}${options.port === 443 ? '' : `:${options.port}`}/.well-known/mta-sts.txt`;
  const result: PolicyFetch = { url, address: options.address, port: options.port, status: null, contentType: null, body: null, error: null };
  return new Promise((resolve) => {
    let settled = false;
    const done = (error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      result.error = error;
      resolve(result);
    };
    const req = request({
      host: options.address,
      servername: host,
      port: options.port,
      path: '/.well-known/mta-sts.txt',
      headers: { host: options.port === 443 ? host : `${host}:${options.port}` },
      ...(options.ca ? { ca: options.ca } : {}),
      agent: false,
    }, (response) => {
      result.status = response.statusCode ?? null;
      result.contentType = response.headers['content-type'] ?? null;
      if (result.status !== 200) {
        const where = response.headers.location ? ` to ${response.headers.location} (redirects are not followed, RFC 8461 §3.3)` : '';
        return done(`HTTP ${result.status}${where}`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > POLICY_LIMIT) return done(`the policy is larger than ${POLICY_LIMIT} bytes`);
        chunks.push(chunk);
      });
      response.on('end', () => {
        result.body = Buffer.concat(chunks).toString('utf8');
        const media = (result.contentType ?? '').split(';')[0]!.trim().toLowerCase();
        done(media === 'text/plain' ? null : `Content-Type is ${JSON.stringify(result.contentType)}, not text/plain (RFC 8461 §3.2)`);
      });
      response.on('error', (error) => done(error.message));
    });
    const timer = setTimeout(() => done(`no answer within ${options.timeoutMs} ms`), options.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? '';
      done(/CERT|SELF_SIGNED|UNABLE_TO|ALTNAME/.test(code) ? `certificate not valid for ${host}: ${verifyReason(code)}` : `${error.code ?? 'error'}: ${error.message}`);
    });
    req.end();
  });
}
