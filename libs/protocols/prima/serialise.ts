import { escapeAttribute, escapeText, xmlSafe } from '../xml/escape';

/** IDs must be xs:ID (NCName) even if a generator slips: OpenSAML-based peers check. */
export function ncName(id: string): string {
  const cleaned = id.replace(/[^A-Za-z0-9._-]/g, '_');
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

/** An attribute value: characters XML cannot carry replaced, then escaped for double quotes. */
export function attr(value: string): string {
  return escapeAttribute(xmlSafe(value));
}

/** Element content, likewise. */
export function text(value: string): string {
  return escapeText(xmlSafe(value));
}
