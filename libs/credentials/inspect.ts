import type { Dn } from '@gridauthz/domain';
import { containsPrivateKey as hasPrivateKey, parsePemChain } from './pem';
import { classify } from './chain/proxy-info';
import type { ProxyFormat, ProxyPolicy } from './chain/proxy-info';
import type { RejectedAc, VomsAc } from './chain/types';
import { validateChain } from './chain/validate';
import type { ValidationOptions } from './chain/validate';
import type { CredFailure } from './errors';
import type { TrustStore } from './trust/igtf-store';
import type { TrustSnapshot } from './trust/snapshot';
import { parseCertificate } from './x509/certificate';

export interface DnForms {
  readonly slash: string;
  readonly rfc2253: string;
}

export interface InspectedCertificate {
  /** Position in the presented text (0 = first certificate). */
  readonly index: number;
  readonly kind: 'proxy' | 'eec' | 'ca' | 'unparsable';
  readonly subject: DnForms | null;
  readonly issuer: DnForms | null;
  readonly serialHex: string | null;
  readonly notBefore: string | null;
  readonly notAfter: string | null;
  readonly fingerprintSha256: string | null;
  readonly proxy: { readonly format: ProxyFormat; readonly policy: ProxyPolicy; readonly pathLen: number | null } | null;
  readonly parseError: string | null;
}

/** What `gridauthz cred inspect` prints: the chain as presented, DNs in both forms, VOMS data, the verdict. */
export interface InspectReport {
  readonly verdict: 'valid' | 'invalid';
  /** Why: the chain error, rejected ACs and warnings, one line each. */
  readonly reasons: readonly string[];
  readonly error: CredFailure | null;
  /** True when the text held a private key (as voms-proxy-init files do); the key itself is never kept. */
  readonly containsPrivateKey: boolean;
  readonly certificates: readonly InspectedCertificate[];
  readonly identity: { readonly subject: DnForms; readonly issuer: DnForms; readonly serialHex: string } | null;
  readonly trustAnchor: DnForms | null;
  readonly limited: boolean | null;
  readonly notAfter: string | null;
  readonly voms: {
    readonly acs: readonly (Omit<VomsAc, 'issuer' | 'signer' | 'notBefore' | 'notAfter'> & { issuer: DnForms; signer: DnForms; notBefore: string; notAfter: string })[];
    readonly rejected: readonly RejectedAc[];
  } | null;
  readonly fqans: readonly string[];
  readonly primaryFqan: string | null;
}

const forms = (dn: Dn | undefined): DnForms | null => (dn ? { slash: dn.toSlash(), rfc2253: dn.toRfc2253() } : null);

/** Decodes and validates a PEM credential for humans. Never throws. */
export function inspectCredential(pemText: string, trust: TrustStore | TrustSnapshot, now: Date, options: Omit<ValidationOptions, 'now'> = {}): InspectReport {
  const containsPrivateKey = hasPrivateKey(pemText);
  const parsed = parsePemChain(pemText);
  const empty = { identity: null, trustAnchor: null, limited: null, notAfter: null, voms: null, fqans: [], primaryFqan: null };
  if (!parsed.ok)
    return { verdict: 'invalid', reasons: [`${parsed.error.code}: ${parsed.error.detail}`], error: parsed.error, containsPrivateKey, certificates: [], ...empty };
  const certificates = parsed.value.map((der, index): InspectedCertificate => {
    try {
      const cert = parseCertificate(der);
      const cls = classify(cert);
      return {
        index,
        kind: cls.kind,
        subject: forms(cert.subject.dn),
        issuer: forms(cert.issuer.dn),
        serialHex: cert.serialHex,
        notBefore: cert.notBefore.toISOString(),
        notAfter: cert.notAfter.toISOString(),
        fingerprintSha256: cert.fingerprint,
        proxy: cls.kind === 'proxy' ? { format: cls.proxy.format, policy: cls.proxy.policy, pathLen: cls.proxy.pathLen } : null,
        parseError: null,
      };
    } catch (e) {
      return { index, kind: 'unparsable', subject: null, issuer: null, serialHex: null, notBefore: null, notAfter: null, fingerprintSha256: null, proxy: null, parseError: (e as Error).message };
    }
  });
  const r = validateChain(parsed.value, trust, Object.assign({}, options, { now }));
  if (!r.ok) {
    const where = r.error.position !== undefined ? ` (certificate ${r.error.position}${r.error.subject ? ` ${r.error.subject}` : ''})` : '';
    return { verdict: 'invalid', reasons: [`${r.error.code}: ${r.error.detail}${where}`], error: r.error, containsPrivateKey, certificates, ...empty };
  }
  const v = r.value;
  return {
    verdict: 'valid',
    reasons: [...v.voms.rejected.map((x) => `AC ${x.index}${x.vo ? ` (${x.vo})` : ''} rejected: ${x.code}: ${x.detail}`), ...v.warnings],
    error: null,
    containsPrivateKey,
    certificates,
    identity: { subject: forms(v.identity.subject) as DnForms, issuer: forms(v.identity.issuer) as DnForms, serialHex: v.identity.serialHex },
    trustAnchor: forms(v.trustAnchor),
    limited: v.limited,
    notAfter: v.notAfter.toISOString(),
    voms: {
      acs: v.voms.acs.map((ac) =>
        Object.assign({}, ac, {
          issuer: forms(ac.issuer) as DnForms,
          signer: forms(ac.signer) as DnForms,
          notBefore: ac.notBefore.toISOString(),
          notAfter: ac.notAfter.toISOString(),
        }),
      ),
      rejected: v.voms.rejected,
    },
    // The report shows FQANs as the ACs encoded them (what voms-proxy-info prints).
    fqans: v.fqans.map((f) => f.original),
    primaryFqan: v.primaryFqan?.original ?? null,
  };
}

/** Plain-text rendering of an InspectReport, in the spirit of voms-proxy-info -all. */
export function renderInspectReport(report: InspectReport): string {
  const lines: string[] = [];
  const kv = (k: string, v: string): void => void lines.push(`${k.padEnd(12)}: ${v}`);
  kv('verdict', report.verdict.toUpperCase());
  for (const reason of report.reasons) kv('reason', reason);
  if (report.identity) {
    kv('identity', report.identity.subject.slash);
    kv('  rfc2253', report.identity.subject.rfc2253);
    kv('issuer', report.identity.issuer.slash);
    kv('serial', report.identity.serialHex);
  }
  if (report.trustAnchor) kv('trust anchor', report.trustAnchor.slash);
  if (report.limited !== null) kv('limited', report.limited ? 'yes' : 'no');
  if (report.notAfter) kv('valid until', report.notAfter);
  if (report.containsPrivateKey) kv('note', 'input contains a private key (not shown)');
  for (const c of report.certificates) {
    lines.push('');
    lines.push(`=== certificate ${c.index}: ${c.kind}${c.proxy ? ` (${c.proxy.format}, ${c.proxy.policy}${c.proxy.pathLen !== null ? `, pathLen ${c.proxy.pathLen}` : ''})` : ''} ===`);
    if (c.parseError) kv('error', c.parseError);
    if (c.subject) {
      kv('subject', c.subject.slash);
      kv('  rfc2253', c.subject.rfc2253);
    }
    if (c.issuer) kv('issuer', c.issuer.slash);
    if (c.serialHex) kv('serial', c.serialHex);
    if (c.notBefore && c.notAfter) kv('validity', `${c.notBefore} .. ${c.notAfter}`);
    if (c.fingerprintSha256) kv('sha256', c.fingerprintSha256);
  }
  for (const ac of report.voms?.acs ?? []) {
    lines.push('');
    lines.push(`=== VO ${ac.vo} extension information ===`);
    kv('VO', ac.vo);
    kv('uri', `${ac.host}:${ac.port}`);
    kv('issuer', ac.issuer.slash);
    kv('holder', ac.holderEncoding);
    for (const f of ac.fqans) kv('attribute', f);
    for (const ga of ac.attributes) kv('attribute', `${ga.name} = ${ga.value} (${ga.qualifier})`);
    for (const t of ac.targets) kv('target', t);
    kv('validity', `${ac.notBefore} .. ${ac.notAfter}`);
  }
  if (report.primaryFqan) {
    lines.push('');
    kv('primary FQAN', report.primaryFqan);
  }
  return `${lines.join('\n')}\n`;
}
