/**
 * How a `§` in the code finds its document (docs/README.md, "Citations and links"): `name.md §n` names it (a file
 * of docs/reference/ first, else of docs/); later `§`s on the same line stay in that document; a bare `§n` refers
 * to the reference document of the code's area, below. Standards cited by name (`RFC 5280 §4.2`) are not ours.
 */
export const REFERENCE_DEFAULTS: Readonly<Record<string, string>> = {
  'libs/credentials/': 'credentials',
  'libs/dev-pki/': 'credentials',
  'test/pki/': 'credentials',
  'libs/policy/': 'policy-language',
  'policies/': 'policy-language',
  'libs/protocols/prima/': 'prima-saml1',
  'libs/protocols/authzen/': 'authzen',
  'test/server/authzen': 'authzen',
  'apps/server/pdp/authzen': 'authzen',
  'test/cli/query-authzen': 'authzen',
  'test/server/prima': 'prima-saml1',
  'libs/protocols/': 'saml2-xacml2',
  'test/server/': 'saml2-xacml2',
  'test/dialects/': 'saml2-xacml2',
  'apps/server/pdp/': 'saml2-xacml2',
  'apps/cli/commands/query': 'saml2-xacml2',
  'test/cli/query': 'saml2-xacml2',
  'libs/mapping/': 'mapping',
  'test/mapping/': 'mapping',
  'docs/mapping.md': 'mapping',
  'docs/lease-expiry.md': 'mapping',
};

const REFERENCE_NAMES = new Set(['authzen', 'credentials', 'mapping', 'policy-language', 'prima-saml1', 'saml2-xacml2']);

function documentPath(name: string, explicitPath: boolean): string {
  if (explicitPath) return name;
  return REFERENCE_NAMES.has(name) ? `docs/reference/${name}.md` : `docs/${name}.md`;
}

export interface Citation {
  readonly section: string;
  readonly document: string | undefined;
}

export function citedDocument(file: string, line: string): Citation[] {
  const out: Citation[] = [];
  let named: string | undefined;
  const pattern = /(?:((?:docs\/(?:reference\/)?)?[A-Za-z0-9_-]+)\.md\b[^§\n]{0,12}?)?(RFC\s?\d+[^§\n]{0,3}|X\.\d+[^§\n]{0,3})?§\s?(\d+(?:\.\d+)*)/g;
  for (const m of line.matchAll(pattern)) {
    if (m[1] !== undefined) {
      const name = m[1];
      named = documentPath(name.startsWith('docs/') ? `${name}.md` : name, name.startsWith('docs/'));
    }
    if (m[2] !== undefined) continue; // a standard's own section
    const section = m[3] as string;
    if (named !== undefined) {
      out.push({ section, document: named });
      continue;
    }
    const area = Object.keys(REFERENCE_DEFAULTS).find((prefix) => file.startsWith(prefix));
    out.push({ section, document: area === undefined ? undefined : `docs/reference/${REFERENCE_DEFAULTS[area]}.md` });
  }
  return out;
}
