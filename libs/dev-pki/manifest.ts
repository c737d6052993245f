/** What generateDevPki wrote. DNs in slash form; every path is relative to the PKI directory. */
export interface DevPkiManifest {
  readonly version: 1;
  readonly generatedAt: string;
  /** The `now` the PKI was generated for; validity windows are relative to it. */
  readonly now: string;
  /** Trust directory in IGTF layout (X509_CERT_DIR). */
  readonly caDir: string;
  /** VOMS directory (X509_VOMS_DIR). */
  readonly vomsDir: string;
  readonly ca: DevPkiCa;
  /** A CA that is deliberately NOT in caDir. */
  readonly untrustedCa: DevPkiCa;
  readonly host: DevPkiEntity & { readonly dnsNames: readonly string[]; readonly ipAddresses: readonly string[] };
  readonly users: Readonly<Record<string, DevPkiUser>>;
  readonly proxies: Readonly<Record<string, DevPkiProxy>>;
  readonly voms: Readonly<Record<string, DevPkiVomsServer>>;
}

export interface DevPkiEntity {
  readonly subject: string;
  readonly issuer: string;
  readonly serialHex: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly notBefore: string;
  readonly notAfter: string;
}

export interface DevPkiCa extends DevPkiEntity {
  /** `openssl x509 -subject_hash` and `-subject_hash_old`. */
  readonly hash: string;
  readonly oldHash: string;
  readonly crlFile: string | null;
}

export interface DevPkiUser extends DevPkiEntity {
  /** Why this user exists, e.g. "listed in the CRL". */
  readonly note: string;
  readonly trusted: boolean;
  readonly revoked: boolean;
  readonly expired: boolean;
}

export interface DevPkiAc {
  readonly vo: string;
  readonly uri: string;
  readonly signer: string;
  readonly holderEncoding: 'classic' | 'rfc3281';
  readonly fqans: readonly string[];
  readonly notBefore: string;
  readonly notAfter: string;
  /** What a validator should make of the AC: 'valid', or the CRED_AC_* code it must be rejected with. */
  readonly expected: string;
}

export interface DevPkiProxy {
  /** voms-proxy-init layout: proxy certificate, its private key, then the issuer chain up to the EEC. */
  readonly file: string;
  readonly subject: string;
  /** The end-entity (user) DN the chain identifies. */
  readonly identity: string;
  readonly user: string;
  readonly format: 'rfc3820' | 'draft' | 'legacy';
  readonly policy: 'inheritAll' | 'limited';
  readonly limited: boolean;
  /** Proxies in the chain, leaf included. */
  readonly depth: number;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly acs: readonly DevPkiAc[];
  /** Whether a validator must accept the chain, and if not the CRED_* code it must give. */
  readonly expected: 'valid' | string;
  readonly note: string;
}

export interface DevPkiVomsServer {
  readonly vo: string;
  readonly host: string;
  readonly port: number;
  readonly subject: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly lscFile: string;
}
