import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ATTRIBUTE_VOCABULARY } from '@gridauthz/domain';
import { ATTRIBUTES } from '@gridauthz/policy';
import { describe, expect, it } from 'vitest';

const REPO = join(__dirname, '..', '..');
/** The identifier families of the grid protocols (saml2-xacml2.md §3, §5, §6). */
const URI = /['"`]((?:urn:oasis:names:tc:(?:xacml|SAML)|http:\/\/(?:glite|dci-sec|authz-interop)\.org\/xacml|http:\/\/www\.w3\.org\/2001\/XMLSchema#)[^'"`$]*)['"`]/g;

function productionFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return ['test-support', 'testing', 'fixtures', 'node_modules'].includes(entry.name) ? [] : productionFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.includes('testkit') ? [path] : [];
  });
}

describe('one attribute vocabulary (docs/architecture.md, "Codecs")', () => {
  it('writes each protocol URI in one production file of libs/ only', () => {
    const where = new Map<string, Set<string>>();
    for (const file of productionFiles(join(REPO, 'libs'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(URI)) {
        const uri = match[1] ?? '';
        where.set(uri, (where.get(uri) ?? new Set()).add(relative(REPO, file)));
      }
    }
    const twice = [...where].filter(([, files]) => files.size > 1).map(([uri, files]) => `${uri}: ${[...files].join(', ')}`);
    expect(twice).toEqual([]);
  });

  it('the policy language reads every short name from the domain vocabulary', () => {
    for (const [shortName, definition] of ATTRIBUTES) {
      const term = ATTRIBUTE_VOCABULARY.get(shortName);
      expect(term, shortName).toBeDefined();
      expect([definition.xacmlId, definition.dataType, definition.category]).toEqual([term?.uri, term?.dataType, term?.category]);
    }
    // policy-language.md §4: spot checks written from the spec, not from the table.
    expect(ATTRIBUTES.get('pfqan')?.xacmlId).toBe('http://glite.org/xacml/attribute/fqan/primary');
    expect(ATTRIBUTES.get('emi-resource-owner')?.dataType).toBe('urn:oasis:names:tc:xacml:1.0:data-type:x500Name');
  });
});
