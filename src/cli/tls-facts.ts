import { X509Certificate } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { formatDnsServer, parseDnsServer, systemDnsServer } from '../dns/server-address.js';
import { SmtpdbgError, UsageError } from '../errors.js';
import { OutputError } from '../io/output-failure.js';
import { DnsClient, type TlsaRecord } from '../net/dns-client.js';
import type { SessionSettings } from '../session/smtp-session.js';
import { TlsMode } from '../session/tls-mode.js';
import { describeDane, matchDane, type DaneVerdict } from '../tls/dane.js';
import { certificatePem, oneLineName, pemCertificates } from '../tls/fingerprint.js';
import { checkOcspResponse, describeOcsp, type OcspReport } from '../tls/ocsp.js';
import type { TlsPeerDetails } from '../tls/peer-details.js';
import type { EventStream } from '../transcript/events.js';

/** The options of session and inject about the peer's certificates (--showcerts, --save-certs, --ocsp, --dane). */
export interface TlsFactsCliOptions {
  showcerts?: boolean;
  saveCerts?: string;
  ocsp?: boolean;
  dane?: boolean;
  dnsServer?: string;
}

/** The TLSA answer for the target, as --dane reports it. */
export interface TlsaLookup {
  name: string;
  dnsServer: string;
  rcode: string | null;
  authenticated: boolean;
  records: TlsaRecord[];
  error: string | null;
}

export interface DaneReport extends TlsaLookup {
  /**
   * "matched": a record matched and the answer was DNSSEC-authenticated; "mismatch": none
   * did, with an authenticated answer; "unauthenticated": records without the AD bit (DANE
   * does not apply, RFC 7672 §2.2); "no-records"; "lookup-failed"; "no-tls": records, but
   * the session never reached a TLS handshake.
   */
  result: 'matched' | 'mismatch' | 'unauthenticated' | 'no-records' | 'lookup-failed' | 'no-tls';
  verdict: DaneVerdict | null;
}


/**
 * Watches every TLS handshake of a session or an inject run and, for the options given,
 * prints the chain as PEM, checks the stapled OCSP response and matches the chain against
 * the TLSA records looked up before connecting. The facts come from the client that made the
 * handshake (the certificate bytes are not in the event stream), through the TLS settings'
 * onPeerDetails, right after the handshake's TLS event: these lines follow its summary.
 */
export class TlsFacts {
  private chainDer: Buffer[] = [];
  private ocspReport: OcspReport | undefined;
  private verdict: DaneVerdict | null = null;
  private handshakes = 0;

  private constructor(
    private readonly options: TlsFactsCliOptions,
    private readonly settings: SessionSettings,
    private readonly events: EventStream,
    private readonly jsonOutput: boolean,
    private readonly tlsa: TlsaLookup | undefined,
  ) {}

  static wanted(options: TlsFactsCliOptions): boolean {
    return Boolean(options.showcerts || options.saveCerts !== undefined || options.ocsp || options.dane || options.dnsServer !== undefined);
  }

  /**
   * Checks the options and looks up TLSA for --dane (before connecting: matching then needs
   * no waiting). `settings.tls` is replaced by settings that ask for OCSP stapling (--ocsp)
   * and report each handshake here.
   */
  static async prepare(options: TlsFactsCliOptions, settings: SessionSettings, events: EventStream, context: { json: boolean; embedded: boolean; plain: boolean; quitAfter?: string }): Promise<TlsFacts> {
    if (options.dnsServer !== undefined && !options.dane) throw new UsageError('--dns-server is for --dane (the TLSA lookup)');
    if (context.plain) throw new UsageError('--showcerts, --save-certs, --ocsp and --dane need TLS; they cannot be used with --plain');
    if ((context.quitAfter === 'banner' || context.quitAfter === 'ehlo') && settings.tlsMode !== TlsMode.implicit) {
      throw new UsageError(`--showcerts, --save-certs, --ocsp and --dane need the TLS handshake: --quit-after ${context.quitAfter} stops before STARTTLS (use --quit-after tls)`);
    }
    let tlsa: TlsaLookup | undefined;
    if (options.dane) {
      const host = settings.target.host;
      if (context.embedded || isIP(host)) throw new UsageError(`--dane needs the server's host name: TLSA records are found under _PORT._tcp.HOST, not under ${context.embedded ? 'the embedded server' : `an IP address (${host})`}`);
      const server = options.dnsServer ? parseDnsServer(options.dnsServer) : systemDnsServer();
      const dns = new DnsClient({ server, timeoutMs: settings.timeoutMs });
      // RFC 7672 §2.2.3 (and RFC 6698 §3): the TLSA base name is the port actually used and the host name.
      const name = `_${settings.target.port}._tcp.${host.replace(/\.$/, '')}`;
      tlsa = { name, dnsServer: formatDnsServer(server), rcode: null, authenticated: false, records: [], error: null };
      try {
        const answer = await dns.lookup(name, 'TLSA');
        Object.assign(tlsa, { rcode: answer.rcode, authenticated: answer.authenticated, records: answer.records });
      } catch (error) {
        if (!(error instanceof SmtpdbgError)) throw error;
        tlsa.error = error.message;
      }
    }
    const facts = new TlsFacts(options, settings, events, context.json, tlsa);
    settings.tls = { ...settings.tls, ...(options.ocsp ? { requestOcsp: true } : {}), onPeerDetails: (details) => facts.report(details) };
    return facts;
  }

  /** Shows the TLSA lookup; called after the printer subscribed. */
  watch(): void {
    if (this.tlsa) this.info(describeLookup(this.tlsa), false);
  }

  private info(message: string, tls = true): void {
    this.events.emit({ type: 'info', t: this.events.now(), tls, message });
  }

  private report(details: TlsPeerDetails): void {
    this.handshakes++;
    this.chainDer = details.chainDer;
    if (this.options.showcerts && !this.jsonOutput) {
      this.info(`the server's chain as PEM (--showcerts): ${details.chainDer.length} certificate${details.chainDer.length === 1 ? '' : 's'}, the server's own first`);
      details.chainDer.forEach((der, i) => {
        const cert = new X509Certificate(der);
        process.stdout.write(`${i} s:${oneLineName(cert.subject)}\n  i:${oneLineName(cert.issuer)}\n${certificatePem(der)}`);
      });
    }
    if (this.options.ocsp) {
      const trusted = this.settings.tls.ca ? pemCertificates(this.settings.tls.ca) : [];
      this.ocspReport = checkOcspResponse(details.ocspResponse, details.chainDer, trusted, new Date());
      for (const line of describeOcsp(this.ocspReport)) this.info(line.text);
    }
    if (this.tlsa && this.tlsa.records.length > 0) {
      this.verdict = matchDane(this.tlsa.records, details.chainDer, this.settings.tls.verifyName, new Date());
      for (const line of describeDane(this.verdict, this.tlsa.authenticated)) this.info(line);
    }
  }

  /** --save-certs: the chain of the last handshake, DIR/0.pem (the server's own), 1.pem … */
  saveCertificates(): void {
    const dir = this.options.saveCerts;
    if (dir === undefined || this.chainDer.length === 0) return;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new OutputError(dir, error);
    }
    this.chainDer.forEach((der, i) => {
      const path = join(dir, `${i}.pem`);
      try {
        writeFileSync(path, certificatePem(der));
      } catch (error) {
        throw new OutputError(path, error);
      }
    });
  }

  get dane(): DaneReport | undefined {
    const tlsa = this.tlsa;
    if (!tlsa) return undefined;
    const result: DaneReport['result'] = tlsa.error || (tlsa.rcode !== 'NOERROR' && tlsa.rcode !== 'NXDOMAIN') ? 'lookup-failed'
      : tlsa.records.length === 0 ? 'no-records'
        : !tlsa.authenticated ? 'unauthenticated'
          : this.handshakes === 0 ? 'no-tls'
            : this.verdict?.matched ? 'matched' : 'mismatch';
    return { ...tlsa, result, verdict: this.verdict };
  }

  /**
   * Problems that make the run exit 1 although every reply succeeded: a DANE failure that a
   * DANE client would not deliver past (RFC 7672 §2.2: authenticated records that nothing
   * matches, a failed lookup, or no TLS at all), and a certificate the stapled OCSP response
   * says is revoked.
   */
  problems(): string[] {
    const out: string[] = [];
    const dane = this.dane;
    if (dane?.result === 'mismatch') out.push(`DANE: no TLSA record at ${dane.name} matches the server's chain`);
    if (dane?.result === 'lookup-failed') out.push(`DANE: the TLSA lookup of ${dane.name} failed (${dane.error ?? dane.rcode}); a DANE client does not deliver to this server (RFC 7672 §2.2)`);
    if (dane?.result === 'no-tls' && this.tlsa) out.push(`DANE: ${dane.name} has DNSSEC-authenticated TLSA records, but the session never started TLS (RFC 7672 §2.2 requires it)`);
    if (this.ocspReport?.status === 'revoked') out.push(`OCSP: the server's certificate is revoked (${this.ocspReport.revokedAt})`);
    return out;
  }

  /** The members --json adds to the session summary. */
  json(): Record<string, unknown> {
    return {
      ...(this.options.showcerts || this.options.saveCerts !== undefined ? { peerCertificates: this.chainDer.map(certificatePem) } : {}),
      ...(this.options.ocsp ? { ocsp: this.ocspReport ?? null } : {}),
      ...(this.options.dane ? { dane: this.dane ?? null } : {}),
    };
  }
}


function describeLookup(tlsa: TlsaLookup): string {
  if (tlsa.error) return `DANE: TLSA ${tlsa.name} lookup failed with ${tlsa.dnsServer}: ${tlsa.error}`;
  if (tlsa.rcode !== 'NOERROR' && tlsa.rcode !== 'NXDOMAIN') return `DANE: TLSA ${tlsa.name}: ${tlsa.rcode} from ${tlsa.dnsServer} (for a signed zone, the answer failed validation)`;
  if (tlsa.records.length === 0) return `DANE: no TLSA record at ${tlsa.name} (${tlsa.rcode} from ${tlsa.dnsServer}): DANE does not apply`;
  const count = `${tlsa.records.length} TLSA record${tlsa.records.length === 1 ? '' : 's'} at ${tlsa.name}`;
  return tlsa.authenticated
    ? `DANE: ${count}, DNSSEC-authenticated by ${tlsa.dnsServer} (its AD bit)`
    : `DANE: ${count}, NOT DNSSEC-authenticated by ${tlsa.dnsServer} (no AD bit): DANE does not apply (RFC 7672 §2.2), matched for information only`;
}
