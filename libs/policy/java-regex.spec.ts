import { describe, expect, it } from 'vitest';
import { translateJavaRegex } from './java-regex';

function matcher(pattern: string): (s: string) => boolean {
  const t = translateJavaRegex(pattern);
  if (!t.ok) throw new Error(`${pattern}: ${t.message}`);
  return (s) => t.regex.test(s);
}

function rejected(pattern: string): { message: string; offset: number } {
  const t = translateJavaRegex(pattern);
  if (t.ok) throw new Error(`${pattern} should be rejected`);
  return t;
}

describe('Java regex translation (§5.3)', () => {
  it('matches the whole string, like String.matches', () => {
    const m = matcher('http://example[.]org/ce');
    expect(m('http://example.org/ce')).toBe(true);
    expect(m('http://example.org/ce/extra')).toBe(false);
    expect(m('prefix http://example.org/ce')).toBe(false);
    expect(matcher('a|b')('ab')).toBe(false);
    expect(matcher('a|b')('b')).toBe(true);
  });

  it('unescaped "." also matches itself and any other character except line terminators', () => {
    const m = matcher('http://a.b/ce');
    expect(m('http://aXb/ce')).toBe(true);
    expect(m('http://a\nb/ce')).toBe(false);
    expect(m('http://a\u0085b/ce')).toBe(false);
    expect(matcher('.*')('')).toBe(true);
  });

  it('"$" may sit before a final line terminator as in Java', () => {
    expect(matcher('ab$\\n')('ab\n')).toBe(true);
    expect(matcher('ab$')('ab')).toBe(true);
  });

  it('reads "]" first in a class and lone "]" / "}" as literals, as Java does', () => {
    expect(matcher('[]a]+')(']a]')).toBe(true);
    expect(matcher('[^]]')('x')).toBe(true);
    expect(matcher('[^]]')(']')).toBe(false);
    expect(matcher('a]}')('a]}')).toBe(true);
  });

  it('keeps SPL escapes meaningful: \\\\ is a literal backslash, \\t a tab, \\b a word boundary, \\\' and \\" quotes', () => {
    expect(matcher('a\\\\.')('a\\x')).toBe(true);
    expect(matcher('a\\tb')('a\tb')).toBe(true);
    expect(matcher('.*\\bce\\b.*')('my ce here')).toBe(true);
    expect(matcher('.*\\bce\\b.*')('mycehere')).toBe(false);
    expect(matcher("it\\'s")("it's")).toBe(true);
    expect(matcher('[\\"]')('"')).toBe(true);
  });

  it('supports groups, alternation, bounded repetition, lazy quantifiers and lookaround', () => {
    expect(matcher('(?:ce|se)[0-9]{2,3}')('se123')).toBe(true);
    expect(matcher('(?:ce|se)[0-9]{2,3}')('se1')).toBe(false);
    expect(matcher('(?<host>[a-z]+)[.]example[.]org')('ce.example.org')).toBe(true);
    expect(matcher('a.*?b')('axxb')).toBe(true);
    expect(matcher('(?!bad).*')('bad-x')).toBe(false);
    expect(matcher('x{2,}')('xxxx')).toBe(true);
  });

  it('rejects what JavaScript cannot express or Java would refuse', () => {
    expect(rejected('a*+').message).toMatch(/possessive/);
    expect(rejected('(?>a)').message).toMatch(/not supported/);
    expect(rejected('(?i)abc').offset).toBe(0);
    expect(rejected('[a[b]]').message).toMatch(/nested/);
    expect(rejected('[a-z&&[^x]]').message).toMatch(/intersection|nested/);
    expect(rejected('(a)\\1').message).toMatch(/back-reference/);
    expect(rejected('ab{x').offset).toBe(2);
    expect(rejected('(ab').message).toMatch(/unclosed/);
    expect(rejected('ab)').offset).toBe(2);
    expect(rejected('[ab').message).toMatch(/unclosed/);
    expect(rejected('*a').message).toMatch(/invalid pattern/);
    expect(rejected('[z-a]').message).toMatch(/invalid pattern/);
  });

  it('flags nested unbounded repetition as slow', () => {
    const slow = (p: string) => {
      const t = translateJavaRegex(p);
      return t.ok && t.slow;
    };
    expect(slow('(a+)+')).toBe(true);
    expect(slow('(?:a|b*)*c')).toBe(true);
    expect(slow('((x+)y)*')).toBe(true);
    expect(slow('(ab)+')).toBe(false);
    expect(slow('.*')).toBe(false);
    expect(slow('(a+)?')).toBe(false);
  });
});
