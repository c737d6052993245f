import { Dn } from '@gridauthz/domain';

/**
 * The Resource (host DN) as policy sees it: `%20` back to spaces, nothing else decoded (§4: GUMS undid only
 * `%20`, which clients use because Resource is an xsd:anyURI and PRIMA schema-validates, §7.3).
 */
export function resourceForPolicy(resource: string): string {
  return resource.replace(/%20/g, ' ');
}

/** A DN for an anyURI-typed attribute (Recipient, the client's Resource): every whitespace character as `%20` (§5). */
export function dnForUri(dn: Dn | string): string {
  return (typeof dn === 'string' ? dn : dn.toSlash()).replace(/\s/g, '%20');
}

/** The Resource as a DN, or undefined when it is not one (slash or RFC 2253 form, after `%20` decoding). */
export function resourceDn(resource: string): Dn | undefined {
  const text = resourceForPolicy(resource).trim();
  if (text === '') return undefined;
  try {
    return Dn.parse(text);
  } catch {
    return undefined;
  }
}
