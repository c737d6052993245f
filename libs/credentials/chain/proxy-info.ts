import { DerError, children, oidOf, readDer, sequence, smallInteger, Tag } from '../asn1/der';
import type { Certificate } from '../x509/certificate';
import { extension } from '../x509/certificate';
import { Oid } from '../x509/oids';

export type ProxyFormat = 'rfc3820' | 'draft' | 'legacy';
export type ProxyPolicy = 'inheritAll' | 'limited' | 'independent' | 'restricted';

export interface ProxyClass {
  readonly format: ProxyFormat;
  readonly policy: ProxyPolicy;
  readonly policyLanguage: string | null;
  readonly pathLen: number | null;
}

export type Classification =
  | { kind: 'proxy'; proxy: ProxyClass; problem?: { code: 'CRED_PROXY_PCI_MALFORMED' | 'CRED_PROXY_PCI_NOT_CRITICAL'; detail: string }; warning?: string }
  | { kind: 'eec' | 'ca' };

const POLICY_BY_OID: Readonly<Record<string, ProxyPolicy>> = {
  [Oid.pplInheritAll]: 'inheritAll',
  [Oid.pplIndependent]: 'independent',
  [Oid.pplLimited]: 'limited',
};

/** credentials.md §3.1: RFC 3820 / draft extension, else legacy naming, else CA or EEC by basicConstraints. */
export function classify(cert: Certificate): Classification {
  const rfc = extension(cert, Oid.proxyCertInfo);
  const draft = extension(cert, Oid.proxyCertInfoDraft);
  const ext = rfc ?? draft;
  if (ext) {
    const format: ProxyFormat = rfc ? 'rfc3820' : 'draft';
    const warning = rfc && draft ? 'both RFC 3820 and draft proxyCertInfo present; using the RFC one' : undefined;
    let decoded: ProxyClass;
    try {
      decoded = decodeProxyCertInfo(ext.value, format);
    } catch (e) {
      return {
        kind: 'proxy',
        proxy: { format, policy: 'restricted', policyLanguage: null, pathLen: null },
        problem: { code: 'CRED_PROXY_PCI_MALFORMED', detail: `proxyCertInfo: ${(e as Error).message}` },
      };
    }
    if (!ext.critical)
      return { kind: 'proxy', proxy: decoded, problem: { code: 'CRED_PROXY_PCI_NOT_CRITICAL', detail: `${format} proxyCertInfo extension is not critical` } };
    return warning ? { kind: 'proxy', proxy: decoded, warning } : { kind: 'proxy', proxy: decoded };
  }
  const legacy = legacyProxyKind(cert);
  if (legacy) return { kind: 'proxy', proxy: { format: 'legacy', policy: legacy, policyLanguage: null, pathLen: null } };
  return cert.basicConstraints?.ca ? { kind: 'ca' } : { kind: 'eec' };
}

function decodeProxyCertInfo(value: Buffer, format: 'rfc3820' | 'draft'): ProxyClass {
  const items = sequence(readDer(value), 'ProxyCertInfo');
  let pathLen: number | null = null;
  let policyNode;
  if (format === 'rfc3820') {
    if (items[0]?.tag === Tag.INTEGER) pathLen = smallInteger(items.shift(), 'pCPathLenConstraint');
    policyNode = items.shift();
  } else {
    policyNode = items.shift();
    const tagged = items.shift();
    if (tagged) {
      if (tagged.tag !== 0xa1) throw new DerError('draft pCPathLenConstraint must be [1]');
      pathLen = smallInteger(children(tagged)[0], 'pCPathLenConstraint');
    }
  }
  if (items.length > 0) throw new DerError('unexpected trailing fields');
  const [langNode, policyBody, extra] = sequence(policyNode, 'ProxyPolicy');
  if (extra !== undefined || (policyBody !== undefined && policyBody.tag !== Tag.OCTET_STRING)) throw new DerError('bad ProxyPolicy');
  const policyLanguage = oidOf(langNode, 'policyLanguage');
  return { format, policy: POLICY_BY_OID[policyLanguage] ?? 'restricted', policyLanguage, pathLen };
}

/** Legacy (GT2) proxy: last RDN exactly CN=proxy or CN=limited proxy and subject = issuer + that RDN (§3.1). */
function legacyProxyKind(cert: Certificate): 'inheritAll' | 'limited' | undefined {
  const last = cert.subject.dn?.rdns.at(-1);
  if (!last || last.length !== 1 || last[0]?.type !== 'CN') return undefined;
  const value = last[0].value;
  if (value !== 'proxy' && value !== 'limited proxy') return undefined;
  if (!extendsByOneRdn(cert)) return undefined;
  return value === 'proxy' ? 'inheritAll' : 'limited';
}

/** Subject = issuer plus exactly one more RDN (canonical comparison), used by P3 and legacy detection. */
export function extendsByOneRdn(cert: Certificate): boolean {
  const s = cert.subject.rdns;
  const i = cert.issuer.rdns;
  if (i.length === 0 || s.length !== i.length + 1) return false;
  return i.every((rdn, k) => rdn.equals(s[k] as Buffer));
}
