import { DOMParser } from '@xmldom/xmldom';
import type { Element, Node } from '@xmldom/xmldom';

/** Attributes whose values are fresh per message and so compared only for presence. */
const VOLATILE = new Set(['ID', 'IssueInstant']);

/**
 * Differences between two XML documents, element by element: same prefixes, names, namespaces, attribute
 * sets (namespace declarations included, since where they sit matters to clients) and trimmed text.
 * Whitespace-only text between elements is ignored; ID and IssueInstant values are normalised.
 */
export function xmlDifferences(expected: string, actual: string): string[] {
  const parse = (xml: string): Element => {
    const root = new DOMParser({ onError: (level, message) => { throw new Error(`${level}: ${message}`); } }).parseFromString(xml, 'text/xml').documentElement;
    if (root === null) throw new Error('no document element');
    return root;
  };
  const differences: string[] = [];
  compare(parse(expected), parse(actual), `/${parse(expected).nodeName}`, differences);
  return differences;
}

function compare(expected: Element, actual: Element, path: string, out: string[]): void {
  if (expected.nodeName !== actual.nodeName || expected.namespaceURI !== actual.namespaceURI) {
    out.push(`${path}: expected element ${expected.nodeName} {${expected.namespaceURI ?? ''}}, got ${actual.nodeName} {${actual.namespaceURI ?? ''}}`);
    return;
  }
  const attrs = (element: Element): Map<string, string> => {
    const map = new Map<string, string>();
    for (let i = 0; i < element.attributes.length; i++) {
      const attribute = element.attributes.item(i);
      if (attribute === null) continue;
      map.set(attribute.name, VOLATILE.has(attribute.name) ? '(volatile)' : attribute.value);
    }
    return map;
  };
  const ea = attrs(expected);
  const aa = attrs(actual);
  for (const [name, value] of ea) {
    if (!aa.has(name)) out.push(`${path}/@${name}: missing`);
    else if (aa.get(name) !== value) out.push(`${path}/@${name}: expected "${value}", got "${aa.get(name) ?? ''}"`);
  }
  for (const name of aa.keys()) if (!ea.has(name)) out.push(`${path}/@${name}: unexpected`);
  const et = ownText(expected);
  const at = ownText(actual);
  if (et !== at) out.push(`${path}: expected text "${et}", got "${at}"`);
  const ec = childElements(expected);
  const ac = childElements(actual);
  const count = Math.max(ec.length, ac.length);
  for (let i = 0; i < count; i++) {
    const e = ec[i];
    const a = ac[i];
    if (e === undefined) out.push(`${path}: unexpected child ${a?.nodeName ?? ''}`);
    else if (a === undefined) out.push(`${path}: missing child ${e.nodeName}`);
    else compare(e, a, `${path}/${e.nodeName}[${i}]`, out);
  }
}

function childElements(element: Element): Element[] {
  const out: Element[] = [];
  for (let child: Node | null = element.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === child.ELEMENT_NODE) out.push(child as Element);
  }
  return out;
}

function ownText(element: Element): string {
  let text = '';
  for (let child: Node | null = element.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === child.TEXT_NODE || child.nodeType === child.CDATA_SECTION_NODE) text += child.nodeValue ?? '';
  }
  return text.trim();
}
