import { describe, expect, it } from 'vitest';
import { xmldomPatternCacheInstalled } from './xmldom-pattern-cache';
import { parseUntrustedXml } from './safe-parse';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the same internal module the cache wraps
const grammar = require('@xmldom/xmldom/lib/grammar') as { reg: (...parts: Array<RegExp | string>) => RegExp; QName_group: RegExp; S_OPT: RegExp };

describe('xmldom end-tag pattern cache', () => {
  it('is installed on this xmldom; if an upgrade removes grammar.reg, remove the cache too', () => {
    expect(xmldomPatternCacheInstalled).toBe(true);
  });

  it('hands back one compiled pattern per distinct argument list, and the pattern still matches as before', () => {
    const a = grammar.reg('^', grammar.QName_group, grammar.S_OPT, '$');
    const b = grammar.reg('^', grammar.QName_group, grammar.S_OPT, '$');
    expect(b).toBe(a);
    expect(grammar.reg('^', grammar.QName_group)).not.toBe(a);
    expect(a.exec('saml:Assertion ')?.[1]).toBe('saml:Assertion');
    expect(a.test('not a name!')).toBe(false);
  });

  it('leaves parsing as it was: nested end tags, mismatches and names with non-ASCII letters', () => {
    const ok = parseUntrustedXml('<a:x xmlns:a="urn:a"><a:y><é/></a:y ></a:x>');
    expect(ok.ok && ok.value.document.documentElement?.firstChild?.nodeName).toBe('a:y');
    const bad = parseUntrustedXml('<a><b></c></a>');
    expect(bad.ok).toBe(false);
  });
});
