import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { citedDocument, REFERENCE_DEFAULTS } from './citations';

const REPO = resolve(__dirname, '..', '..');
const tracked = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f !== '' && existsSync(join(REPO, f)));
const textFiles = tracked.filter((f) => /\.(md|ts|mjs|cjs|js|json|ya?ml|spl|sh|txt|tpl)$/.test(f) || f === '.ci/run' || f === 'Dockerfile');
const markdown = tracked.filter((f) => f.endsWith('.md'));

/** Headings and numbered items of a document, by section number ("5.4", "12", "9.3" for item 3 of §9). */
function sectionsOf(path: string): Set<string> {
  const numbers = new Set<string>();
  let current: string | undefined;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const heading = /^#{1,6}\s+(?:Appendix\s+)?(\d+(?:\.\d+)*)[.\s(]/.exec(line);
    if (heading?.[1] !== undefined) {
      current = heading[1];
      numbers.add(current);
      continue;
    }
    // A numbered list item inside a section is addressable as §<section>.<item>; a rule label such as
    // "P3" is not a section.
    const item = /^(?:\d+\.|\s{0,3}-?\s*)?(\d+)\.\s/.exec(line);
    if (current !== undefined && item?.[1] !== undefined) numbers.add(`${current}.${item[1]}`);
  }
  return numbers;
}

describe('the repository stands alone (docs/README.md, "Citations and links")', () => {
  it('has no relative Markdown link that leaves the repository or names a missing file', () => {
    const broken: string[] = [];
    for (const file of markdown) {
      const text = readFileSync(join(REPO, file), 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1] as string;
        if (/^(https?:|mailto:|#)/.test(target)) continue;
        const path = resolve(dirname(join(REPO, file)), decodeURI(target.split('#')[0] as string));
        const inside = !relative(REPO, path).startsWith('..');
        if (!inside) broken.push(`${file}: ${target} leaves the repository`);
        else if (!existsSync(path)) broken.push(`${file}: ${target} does not exist`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('names no path outside the repository (the specs it was built from are retold in docs/reference)', () => {
    const outside = textFiles
      .filter((f) => f !== relative(REPO, __filename).split(sep).join('/'))
      .flatMap((f) =>
        readFileSync(join(REPO, f), 'utf8')
          .split('\n')
          .map((line, i) => ({ line, i }))
          .filter(({ line }) => /(\.\.\/shared\/|\/work\/shared)/.test(line))
          .map(({ i }) => `${f}:${i + 1}`),
      );
    expect(outside).toEqual([]);
  });

  it('cites (§) only sections that exist in docs/', () => {
    const sections = new Map<string, Set<string>>();
    const problems: string[] = [];
    for (const file of textFiles) {
      if (file.startsWith('docs/reference/') || file.startsWith('bench/results/') || file.startsWith('test/docs/')) continue;
      const lines = readFileSync(join(REPO, file), 'utf8').split('\n');
      lines.forEach((line, i) => {
        for (const cite of citedDocument(file, line)) {
          if (cite.document === undefined) {
            problems.push(`${file}:${i + 1}: §${cite.section} names no document and ${file} has no default (see REFERENCE_DEFAULTS)`);
            continue;
          }
          const doc = join(REPO, cite.document);
          if (!existsSync(doc)) {
            problems.push(`${file}:${i + 1}: §${cite.section} cites ${cite.document}, which does not exist`);
            continue;
          }
          if (!sections.has(doc)) sections.set(doc, sectionsOf(doc));
          if (!sections.get(doc)?.has(cite.section)) problems.push(`${file}:${i + 1}: ${cite.document} has no §${cite.section}`);
        }
      });
    }
    expect(problems).toEqual([]);
  });

  it('the citation rules catch what they claim to', () => {
    expect(citedDocument('libs/credentials/x.ts', '// (§5.4)')).toEqual([{ section: '5.4', document: 'docs/reference/credentials.md' }]);
    expect(citedDocument('libs/decision/x.ts', '// mapping.md §2.3, §2.4')).toEqual([
      { section: '2.3', document: 'docs/reference/mapping.md' },
      { section: '2.4', document: 'docs/reference/mapping.md' },
    ]);
    expect(citedDocument('apps/server/x.ts', '// §3')).toEqual([{ section: '3', document: undefined }]);
    expect(citedDocument('libs/credentials/x.ts', '// RFC 5280 §4.2 and RFC 3820 §3.1')).toEqual([]);
    expect(citedDocument('README.md', 'see docs/operations.md §2')).toEqual([{ section: '2', document: 'docs/operations.md' }]);
    expect(sectionsOf(join(REPO, 'docs', 'reference', 'credentials.md')).has('9.21')).toBe(true);
    expect(sectionsOf(join(REPO, 'docs', 'reference', 'credentials.md')).has('9.22')).toBe(false);
    expect(Object.keys(REFERENCE_DEFAULTS).length).toBeGreaterThan(0);
  });
});
