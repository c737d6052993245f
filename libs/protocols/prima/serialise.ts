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

/**
 * An ID shaped like OpenSAML-J's (§5, §11): 32 lower-case hex characters, the first a–f so it is an NCName.
 * Randomness comes from the caller (effects stay at the edge); 16 bytes are needed, extra ones are ignored.
 */
export function primaId(random: Uint8Array): string {
  if (random.length < 16) throw new RangeError('primaId needs 16 random bytes');
  const hex = Buffer.from(random.subarray(0, 16)).toString('hex');
  const first = hex.charCodeAt(0);
  // A leading digit 0–9 becomes a–f: the ID stays unique enough (123 bits) and always starts with a letter.
  return first <= 0x39 ? `${'abcdef'[(first - 0x30) % 6] ?? 'a'}${hex.slice(1)}` : hex;
}
