export { attr, ncName, text } from '../xml/escape';

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
