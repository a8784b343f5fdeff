/**
 * A plain-data description of a TLS peer, as shown after a handshake and stored in
 * transcripts. No node:tls types leak out of src/tls/describe.ts into the rest.
 */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  subjectAltNames: string[];
  /** SHA-256 of the whole certificate, "AB:CD:…" (what --pin-sha256 matches). */
  fingerprint256: string;
  /**
   * SHA-256 of the SubjectPublicKeyInfo, the data of a DANE "3 1 1" TLSA record. Absent in
   * transcripts recorded before it was added.
   */
  spkiSha256?: { base64: string; hex: string };
  serialNumber: string;
  selfSigned: boolean;
  /** The public key: "RSA 2048 bits", "EC P-256", "Ed25519". Absent in older transcripts. */
  publicKey?: string;
  /**
   * The algorithm the certificate is signed with by its issuer ("sha256WithRSAEncryption").
   * Not the handshake's signature: Node does not tell a client which scheme the server signed with.
   */
  signatureAlgorithm?: string;
}

export interface TlsSummary {
  protocol: string | null;
  cipher: string | null;
  /** Server name sent in the ClientHello (SNI), or null when none was sent (IP targets). */
  servername: string | null;
  alpn: string | null;
  /** The key-exchange group: "X25519", "ECDH P-256", "DH 2048 bits"; null when none or not known (the server side). Absent in older transcripts. */
  keyExchange?: string | null;
  /** Whether the handshake resumed an earlier session. */
  resumed?: boolean;
  /** The peer's chain, leaf first. */
  chain: CertificateSummary[];
  verified: boolean;
  /** Why verification failed, in words (self-signed, expired, name mismatch…), every reason joined by "; ", or null. */
  verifyError: string | null;
  /** OpenSSL's code for the failure, e.g. DEPTH_ZERO_SELF_SIGNED_CERT (several joined by ", "), or null. */
  verifyCode: string | null;
  /** Every reason verification failed, one per problem, when it failed. */
  verifyErrors?: string[];
  /**
   * The leaf certificate's fingerprint when it matched a --pin-sha256: the connection then
   * counts as verified, whatever the chain, names and dates say.
   */
  pinned?: string;
  /** With `pinned`: what the chain alone would have failed on (shown, not held against it). */
  overriddenErrors?: string[];
}
