import type { Dn, Fqan } from '@gridauthz/domain';
import type { CredErrorCode } from '../errors';
import type { ProxyFormat, ProxyPolicy } from './proxy-info';

export interface ProxyInfo {
  readonly subject: Dn;
  readonly format: ProxyFormat;
  readonly policy: ProxyPolicy;
  readonly pathLen: number | null;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface ChainEntry {
  readonly role: 'proxy' | 'eec' | 'ca';
  readonly subject: Dn | undefined;
  readonly issuer: Dn | undefined;
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 of the DER, hex. */
  readonly fingerprint: string;
  readonly der: Buffer;
  /** True for the certificate taken from the trust directory that ended the path. */
  readonly trustAnchor: boolean;
}

export interface VomsAttribute {
  readonly name: string;
  readonly value: string;
  readonly qualifier: string;
}

export interface VomsAc {
  readonly vo: string;
  readonly host: string;
  readonly port: number;
  readonly issuer: Dn;
  readonly signer: Dn;
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly holderEncoding: 'classic' | 'rfc3281';
  readonly fqans: readonly string[];
  readonly attributes: readonly VomsAttribute[];
  readonly targets: readonly string[];
}

export interface RejectedAc {
  /** Position in the ACSeq (0 = first AC). */
  readonly index: number;
  readonly code: CredErrorCode;
  readonly detail: string;
  /** VO from the policy authority when it could be read. */
  readonly vo?: string;
}

/** credentials.md §1.2. */
export interface ValidatedCredential {
  /** The end-entity certificate (§3.3): the user, or a host for host-certificate clients. */
  readonly identity: { readonly subject: Dn; readonly issuer: Dn; readonly serialHex: string };
  /** Leaf first; empty when the caller used a plain EEC. */
  readonly proxies: readonly ProxyInfo[];
  readonly limited: boolean;
  readonly trustAnchor: Dn;
  /** min(notAfter) over leaf..anchor. */
  readonly notAfter: Date;
  /** The validated path, leaf first, ending with the trust anchor. */
  readonly chain: readonly ChainEntry[];
  readonly voms: { readonly acs: readonly VomsAc[]; readonly rejected: readonly RejectedAc[] };
  /**
   * FQANs in AC order then value order (§6.8), the first being the primary; `original` keeps the text as encoded.
   * Empty under ignore-all if any AC failed (an AC with an FQAN that does not parse fails: CRED_AC_FQAN_INVALID).
   */
  readonly fqans: readonly Fqan[];
  readonly primaryFqan: Fqan | undefined;
  readonly warnings: readonly string[];
}
