import type { Dn, Subject } from '@gridauthz/domain';
import type { ValidatedCredential } from './chain/types';

/** The subject a validated X.509 chain establishes: always a DN (the end-entity certificate's). */
export type X509Subject = Subject & { readonly dn: Dn; readonly issuerDn: Dn };

/**
 * A validated chain as the decision's domain Subject (docs/architecture.md, "Identity seam"): the end-entity DN and
 * its CA, every CA on the path, the VOMS FQANs primary first with their VOs, the limited flag, and every AC that
 * was refused as a dropped attribute "<code> (<vo>): <detail>" — the proxy still identifies the user, as LCMAPS
 * does (credentials.md §6.9), and the decision records what was dropped. Whether a limited proxy may be a
 * subject is the caller's rule, not this function's.
 */
export function subjectOfCredential(credential: ValidatedCredential): X509Subject {
  const issuerDns: Dn[] = [];
  for (const entry of credential.chain) if (entry.role !== 'proxy' && entry.issuer !== undefined) issuerDns.push(entry.issuer);
  const primary = credential.primaryFqan;
  return {
    dn: credential.identity.subject,
    issuerDn: credential.identity.issuer,
    issuerDns,
    // validateChain lists the primary first already; kept explicit because mapping maps on the first FQAN.
    fqans: primary === undefined ? [...credential.fqans] : [primary, ...credential.fqans.filter((f) => f !== primary)],
    ...(primary === undefined ? {} : { primaryFqan: primary }),
    vos: [...new Set(credential.voms.acs.map((ac) => ac.vo))],
    limited: credential.limited,
    droppedAttributes: credential.voms.rejected.map((r) => `${r.code}${r.vo === undefined ? '' : ` (${r.vo})`}: ${r.detail}`),
  };
}
