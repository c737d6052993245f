import type { Element } from '@xmldom/xmldom';
import { XACML, XS } from '../profiles/xacml';
import { attributeOf, childrenNamed, elementChildren, isElement, textOf } from '../xml/dom';

/** One xacml-context:Attribute element as received; values untrimmed so the echo returns what was sent. */
export interface XacmlAttribute {
  readonly id: string;
  /** The declared DataType, or xs:string when absent (§4.3). */
  readonly dataType: string;
  readonly issuer?: string;
  readonly values: readonly string[];
}

/** The xacml-context:Request as received, for the ReturnContext echo and for the dialect modules. */
export interface XacmlContext {
  /** `category` is the SubjectCategory attribute when the element had one. */
  readonly subjects: readonly { readonly category?: string; readonly attributes: readonly XacmlAttribute[] }[];
  readonly resources: readonly { readonly attributes: readonly XacmlAttribute[] }[];
  readonly action: readonly XacmlAttribute[];
  readonly environment: readonly XacmlAttribute[];
}

function readAttributes(parent: Element): XacmlAttribute[] {
  return childrenNamed(parent, [XACML.contextNs], 'Attribute').flatMap((attribute) => {
    const id = attributeOf(attribute, 'AttributeId')?.trim();
    if (id === undefined || id === '') return [];
    const issuer = attributeOf(attribute, 'Issuer');
    const values = childrenNamed(attribute, [XACML.contextNs], 'AttributeValue').map(textOf);
    return [{ id, dataType: attributeOf(attribute, 'DataType')?.trim() || XS.string, issuer, values }];
  });
}

export function readContext(request: Element): XacmlContext {
  const children = elementChildren(request);
  const named = (localName: string): Element[] => children.filter((child) => isElement(child, [XACML.contextNs], localName));
  return {
    subjects: named('Subject').map((subject) => {
      const category = attributeOf(subject, 'SubjectCategory');
      return { category, attributes: readAttributes(subject) };
    }),
    resources: named('Resource').map((resource) => ({ attributes: readAttributes(resource) })),
    action: named('Action').flatMap(readAttributes),
    environment: named('Environment').flatMap(readAttributes),
  };
}

/** The access-subject elements: other categories (intermediary, codebase) do not identify the user. */
export function accessSubjects(context: XacmlContext): XacmlContext['subjects'] {
  return context.subjects.filter((s) => (s.category?.trim() ?? XACML.accessSubject) === XACML.accessSubject);
}

/** Every attribute of the request, whatever its category (dialect detection, §4.4). */
export function allAttributes(context: XacmlContext): XacmlAttribute[] {
  return [...context.subjects.flatMap((s) => s.attributes), ...context.resources.flatMap((r) => r.attributes), ...context.action, ...context.environment];
}

export function hasId(attributes: readonly XacmlAttribute[], id: string): boolean {
  return attributes.some((a) => a.id === id);
}

/** Values of every attribute with these ids, merged (§4.3: split across elements), trimmed, empties dropped (§14.1). */
export function valuesOf(attributes: readonly XacmlAttribute[], ...ids: string[]): string[] {
  // A Set, since a hostile message may repeat a value thousands of times.
  const out = new Set<string>();
  for (const id of ids) {
    for (const attribute of attributes) {
      if (attribute.id !== id) continue;
      for (const raw of attribute.values) {
        const value = raw.trim();
        if (value !== '') out.add(value);
      }
    }
  }
  return [...out];
}
