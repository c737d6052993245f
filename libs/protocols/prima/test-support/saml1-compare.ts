import { DOMParser } from '@xmldom/xmldom';
import type { Element, Node } from '@xmldom/xmldom';
import { xmlDifferences } from '../../test-support/xml-compare';

/** Fresh per message in SAML 1.1 (§5, §11): compared for presence only. */
const VOLATILE = new Set(['ResponseID', 'AssertionID', 'IssueInstant', 'NotBefore', 'NotOnOrAfter']);

/** Attributes whose value is a QName (§4: prefixes there must resolve, but which prefix is irrelevant). */
const QNAME_VALUED = new Set(['StatusCode/Value']);

const PREFERRED: Readonly<Record<string, string>> = {
  'http://schemas.xmlsoap.org/soap/envelope/': 'soapenv',
  'http://www.gridforum.org/namespaces/2004/03/ogsa-authz/saml': 'ogsa',
  'urn:oasis:names:tc:SAML:1.0:protocol': 'samlp',
  'urn:oasis:names:tc:SAML:1.0:assertion': 'saml',
  'opensciencegrid:authorization:saml': 'osg',
};

/**
 * Rewrites a document so that only what a namespace-aware peer sees remains: every element gets a fixed prefix
 * for its namespace, declarations move to the root, IDs and instants become placeholders, QName values become
 * {ns}local. V2 (default namespaces everywhere) and our prefixed output then compare equal when they mean the same.
 */
export function canonicalSaml1(xml: string): string {
  const root = new DOMParser({
    onError: (level, message) => {
      throw new Error(`${level}: ${message}`);
    },
  }).parseFromString(xml, 'text/xml').documentElement;
  if (root === null) throw new Error('no document element');
  const used = new Map<string, string>();
  const prefixFor = (ns: string): string => {
    let prefix = used.get(ns);
    if (prefix === undefined) {
      prefix = PREFERRED[ns] ?? `ns${used.size}`;
      used.set(ns, prefix);
    }
    return prefix;
  };
  const body = render(root, prefixFor);
  const declarations = [...used].map(([ns, prefix]) => ` xmlns:${prefix}="${ns}"`).join('');
  return body.replace(/^<([^\s>/]+)/, `<$1${declarations}`);
}

/** Differences between two SAML 1.1 SOAP messages after canonicalSaml1, via the lib's comparison. */
export function saml1Differences(expected: string, actual: string): string[] {
  return xmlDifferences(canonicalSaml1(expected), canonicalSaml1(actual));
}

function render(element: Element, prefixFor: (ns: string) => string): string {
  const ns = element.namespaceURI;
  const name = ns === null || ns === '' ? (element.localName ?? '') : `${prefixFor(ns)}:${element.localName ?? ''}`;
  const attributes: string[] = [];
  for (let i = 0; i < element.attributes.length; i++) {
    const attribute = element.attributes.item(i);
    if (attribute === null || attribute.name === 'xmlns' || attribute.name.startsWith('xmlns:')) continue;
    let value = attribute.value;
    if (VOLATILE.has(attribute.name)) value = '(volatile)';
    else if (QNAME_VALUED.has(`${element.localName ?? ''}/${attribute.name}`)) {
      const colon = value.indexOf(':');
      value = `{${element.lookupNamespaceURI(colon < 0 ? '' : value.slice(0, colon)) ?? ''}}${value.slice(colon + 1)}`;
    }
    attributes.push(` ${attribute.name}="${escape(value)}"`);
  }
  let content = '';
  for (let child: Node | null = element.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === child.ELEMENT_NODE) content += render(child as Element, prefixFor);
    else if (child.nodeType === child.TEXT_NODE || child.nodeType === child.CDATA_SECTION_NODE) content += escape(child.nodeValue ?? '');
  }
  return `<${name}${attributes.sort().join('')}>${content}</${name}>`;
}

function escape(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}
