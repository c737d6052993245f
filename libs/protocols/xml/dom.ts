import type { Element, Node } from '@xmldom/xmldom';

/** Element children only (whitespace, comments and PIs between elements are legal and skipped). */
export function elementChildren(parent: Element): Element[] {
  const out: Element[] = [];
  for (let child: Node | null = parent.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === child.ELEMENT_NODE) out.push(child as Element);
  }
  return out;
}

export function isElement(element: Element, namespaces: readonly string[], localName: string): boolean {
  return element.localName === localName && element.namespaceURI !== null && namespaces.includes(element.namespaceURI);
}

export function childrenNamed(parent: Element, namespaces: readonly string[], localName: string): Element[] {
  return elementChildren(parent).filter((child) => isElement(child, namespaces, localName));
}

/** Character data of the element's subtree (text and CDATA), as XACML attribute values carry it. */
export function textOf(element: Element): string {
  return element.textContent ?? '';
}

/** An unqualified attribute, or undefined when absent. */
export function attributeOf(element: Element, name: string): string | undefined {
  return element.hasAttribute(name) ? (element.getAttribute(name) ?? undefined) : undefined;
}
