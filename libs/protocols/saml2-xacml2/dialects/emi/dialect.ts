import type { XacmlAttribute } from '../../context';
import { hasId, valuesOf } from '../../context';
import { renderNames } from '../dialect';
import type { XacmlDialect } from '../dialect';
import { EMI } from './profile';

/** EMI Common XACML Authorization Profile (saml2-xacml2.md §5.4, §6.3): an EMI profile-id (§4.4 item 2). */
export const emi: XacmlDialect = {
  name: 'emi',
  precedence: 2,
  detect: (context) => hasId(context.environment, EMI.profileIdAttribute),
  accountExpected: true,
  resourceNamesHost: true,
  // Argus fills resource-owner on EMI requests (an x500Name under a string match: policy-language.md §12.8).
  resourceAttributes: (hostDn) => ({ 'emi-resource-owner': [hostDn.toRfc2253()] }),
  responseIssuer: false,
  resultResourceId: true,
  extract: {
    eecIssuer: [EMI.subject.x509SubjectIssuer],
    // ARC's emi conversion sends the subject's CA here (docs/dialects.md).
    chainIssuers: [EMI.subject.subjectIssuer],
    vo: [EMI.subject.virtualOrganization],
    fqans: (subject) => [{ attribute: EMI.subject.group, values: emiFqans(subject) }],
    primaryFqans: (subject) => [{ attribute: EMI.subject.groupPrimary, values: emiPrimaryFqans(subject) }],
    hostDn: [EMI.resource.owner],
    profileId: [EMI.profileIdAttribute],
    refuse: (_context, subject, ambiguous) => {
      // An EMI role that names no group among several cannot be placed; dropping it could slip past a deny on the role.
      const groupCount = valuesOf(subject, EMI.subject.group).length;
      for (const roleId of [EMI.subject.role, EMI.subject.rolePrimary]) {
        const loose = subject.some((a) => a.id === roleId && !a.issuer?.trim() && a.values.some((v) => v.trim() !== ''));
        const groups = roleId === EMI.subject.role ? groupCount : valuesOf(subject, EMI.subject.groupPrimary).length;
        if (loose && groups !== 1) ambiguous(roleId, 'a role without an Issuer naming its group, among several groups');
      }
    },
  },
  render: (result) =>
    renderNames(result, { obligation: { trigger: EMI.obligation.mapLocalUser, posix: EMI.obligation.posix }, attribute: EMI.attribute }),
};

/**
 * EMI carries VOMS attributes as group paths plus role names whose Attribute Issuer names their group
 * (§5.4); rebuild long-form FQANs: each group with Role=NULL, then its roles.
 */
function emiFqans(subject: readonly XacmlAttribute[]): string[] {
  const groups = valuesOf(subject, EMI.subject.group);
  const roles: Array<{ group: string; role: string }> = [];
  for (const attribute of subject) {
    if (attribute.id !== EMI.subject.role) continue;
    const group = attribute.issuer?.trim() || (groups.length === 1 ? groups[0] : undefined);
    if (group === undefined) continue;
    for (const raw of attribute.values) if (raw.trim() !== '') roles.push({ group, role: raw.trim() });
  }
  const out: string[] = [];
  for (const group of groups) {
    out.push(group);
    for (const r of roles) if (r.group === group) out.push(`${group}/Role=${r.role}`);
  }
  for (const r of roles) if (!groups.includes(r.group)) out.push(`${r.group}/Role=${r.role}`);
  return out;
}

/**
 * The primary FQAN of an EMI request: group/primary qualified by the role/primary whose Issuer names that group
 * (ARC's emi conversion sends them so, docs/dialects.md). Every primary group is returned, so that two of them
 * are seen as the ambiguity they are; a primary role of another group does not qualify this one.
 */
function emiPrimaryFqans(subject: readonly XacmlAttribute[]): string[] {
  const groups = valuesOf(subject, EMI.subject.groupPrimary);
  const roles: Array<{ group: string | undefined; role: string }> = [];
  for (const attribute of subject) {
    if (attribute.id !== EMI.subject.rolePrimary) continue;
    const group = attribute.issuer?.trim() || undefined;
    for (const raw of attribute.values) if (raw.trim() !== '') roles.push({ group, role: raw.trim() });
  }
  return groups.flatMap((group) => {
    // A role without an Issuer qualifies the primary group only when there is no doubt which group that is.
    const mine = roles.filter((r) => r.group === group || (r.group === undefined && groups.length === 1));
    return mine.length === 0 ? [group] : mine.map((r) => `${group}/Role=${r.role}`);
  });
}
