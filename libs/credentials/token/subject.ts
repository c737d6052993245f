import type { Subject } from '@gridauthz/domain';
import type { TokenIdentity } from './types';

/**
 * The decision's subject for a validated token (docs/mapping-tokens.md): the (issuer, subject) pair, wlcg.groups
 * with the primary first, the scopes, no DN and no FQANs; and the policy language's oidc-* attributes
 * (policy-language.md §3: oidc-issuer, oidc-subject, oidc-group, oidc-scope), compared there as exact strings.
 */
export function tokenSubject(identity: TokenIdentity): Subject {
  const attributes: Record<string, readonly string[]> = {
    'oidc-issuer': [identity.issuer],
    'oidc-subject': [identity.subject],
  };
  if (identity.groups.length > 0) attributes['oidc-group'] = [...identity.groups];
  if (identity.scopes.length > 0) attributes['oidc-scope'] = [...identity.scopes];
  return {
    token: { issuer: identity.issuer, subject: identity.subject },
    issuerDns: [],
    fqans: [],
    vos: [],
    groups: [...identity.groups],
    scopes: [...identity.scopes],
    limited: false,
    droppedAttributes: [],
    attributes,
  };
}
