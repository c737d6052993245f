import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '@gridauthz/domain';

const REPO = resolve(__dirname, '..', '..');

/** The text of one `## n.` section of a document, up to the next `## ` heading. */
function section(path: string, number: string): string {
  const text = readFileSync(resolve(REPO, path), 'utf8');
  const start = text.indexOf(`\n## ${number}. `);
  if (start === -1) throw new Error(`${path} has no section ${number}`);
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end === -1 ? undefined : end);
}

/**
 * The attribute-certificate codes an operator reads in a decision record's reasons are each listed in
 * docs/reference/credentials.md §8. (Only the CRED_AC_ family: the chain and proxy prefixes are shared with the older
 * coarse codes, which are documented where their transports are.)
 */
describe('credential error codes in docs/reference/credentials.md', () => {
  it('lists every CRED_AC_ code in its error codes section (§8)', () => {
    const listed = section('docs/reference/credentials.md', '8');
    const codes = Object.values(ErrorCodes).filter((c) => c.startsWith('CRED_AC_'));
    expect(codes.length).toBeGreaterThan(10);
    expect(codes.filter((c) => !listed.includes(`\`${c}\``))).toEqual([]);
  });
});
