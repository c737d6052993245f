import type { Element } from '@xmldom/xmldom';

/**
 * A QName carried as text or attribute value (RespondWith, StatusCode/@Value), resolved through the
 * declarations in scope at `element`. Unprefixed names take the default namespace, as XML Schema's QName does;
 * xmldom keys that one by '' (null finds nothing).
 */
export function resolveQName(element: Element, qname: string): { readonly ns: string | null; readonly local: string } {
  const value = qname.trim();
  const colon = value.indexOf(':');
  const prefix = colon < 0 ? '' : value.slice(0, colon);
  return { ns: element.lookupNamespaceURI(prefix), local: colon < 0 ? value : value.slice(colon + 1) };
}
