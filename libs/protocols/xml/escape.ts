/** Escapes character data for element content. `>` too, so `]]>` can never appear. */
export function escapeText(value: string): string {
  return value.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'));
}

/** Escapes an attribute value for double quotes; whitespace as references so attribute normalisation keeps it. */
export function escapeAttribute(value: string): string {
  return value.replace(/[&<>"\t\n\r]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case '\t':
        return '&#9;';
      case '\n':
        return '&#10;';
      default:
        return '&#13;';
    }
  });
}

/** Drops characters XML 1.0 cannot carry at all, so a hostile value cannot make our output ill-formed. */
export function xmlSafe(value: string): string {
  return value.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD');
}

/** IDs must be xs:ID (NCName) even if a generator slips: the schemas and OpenSAML-based peers check. */
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
