import type { AuthzRequest, Dn } from '@gridauthz/domain';

/** A DNS name with at least two labels: user CNs ("Alice Atlas", "12345") never look like one. */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/**
 * The host a host or service certificate names: its last CN, without the service prefix IGTF host certificates
 * carry (`CN=host/wn01.example.org`, `CN=ldap/bdii.example.org`), lower case. Undefined for a person's DN.
 */
export function hostOfDn(dn: Dn): string | undefined {
  const cn = dn.last('CN');
  if (cn === undefined) return undefined;
  const parts = cn.trim().toLowerCase().split('/');
  if (parts.length > 2) return undefined;
  const name = parts[parts.length - 1] ?? '';
  return HOST_NAME.test(name) ? name : undefined;
}

/** A host name or IP literal as typed or sent: trimmed, lower case, a trailing root dot dropped. */
export function normalHost(text: string): string {
  return text.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * The host the client says the question is about, whatever its dialect: authz-interop dns-host-name; else the
 * host of the host certificate DN it names (authz-interop resource-x509-id, EMI resource-owner, PRIMA's Resource);
 * else, where the codec says the resource-id names the host (grid-ce, EMI), the host of a resource-id that is a URL
 * (a CE endpoint). grid-wn names no host: its
 * decisions are found through the caller's certificate and source address (docs/forensics.md).
 */
export function requestHost(request: AuthzRequest): string | undefined {
  if (request.host !== undefined && request.host.trim() !== '') return normalHost(request.host);
  if (request.hostDn) {
    const fromDn = hostOfDn(request.hostDn);
    if (fromDn !== undefined) return fromDn;
  }
  if (request.resourceNamesHost === true && request.resource !== undefined) {
    try {
      const url = new URL(request.resource);
      if (url.hostname !== '' && url.protocol !== 'urn:') return normalHost(url.hostname.replace(/^\[|\]$/g, ''));
    } catch {
      // Not a URL: a site-chosen resource name names no host.
    }
  }
  return undefined;
}
