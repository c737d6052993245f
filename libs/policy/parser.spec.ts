import { describe, expect, it } from 'vitest';
import type { PolicyDiagnostic } from './ast';
import { lintPolicy, parsePolicy, parsePolicyDocument } from './policy';
import { parseSyntax } from './parser';

/** The diagnostics of a text that must fail, errors only. */
function errors(text: string, strict = false): PolicyDiagnostic[] {
  const r = parsePolicy(text, 't.spl', { strict });
  if (r.ok) throw new Error(`expected a failure for: ${text}`);
  return r.error.diagnostics.filter((d) => d.severity === 'error');
}

function wrapRule(rule: string): string {
  return `resource "x" { action "y" { ${rule} } }`;
}

describe('parser cases of policy-language.md §8', () => {
  it('§8: bare-word value is accepted (vo = atlas)', () => {
    const r = parsePolicy('resource "x" { action "y" { rule permit { vo = atlas } } }', 't.spl');
    expect(r.ok).toBe(true);
    const doc = parsePolicyDocument('resource "x" { action "y" { rule permit { vo = atlas } } }', 't.spl');
    if (!doc.ok) throw new Error('parse failed');
    const rule = doc.value.items[0]?.kind === 'resource' ? doc.value.items[0].items[0] : undefined;
    expect(rule?.kind === 'action' && rule.items[0]).toMatchObject({ kind: 'rule', effect: 'permit', assignments: [{ id: { value: 'vo' }, value: { value: 'atlas' } }] });
  });

  it('§8: fqan = /dteam/test is an error at the "/" (slash not allowed in a bare word)', () => {
    const [e, ...rest] = errors(wrapRule('rule permit { fqan = /dteam/test }'));
    expect(rest).toEqual([]);
    expect(e).toMatchObject({ line: 1, column: 50, code: 'POLICY_LEXICAL' });
    expect(e?.message).toMatch(/must be quoted/);
  });

  it('§8: rule permit { } is a syntax error (a rule needs an assignment)', () => {
    const [e] = errors(wrapRule('rule permit { }'));
    expect(e).toMatchObject({ line: 1, column: 43, code: 'POLICY_SYNTAX' });
  });

  it('§8: role = "x" is a semantic error pointing at the unknown short name', () => {
    const [e] = errors(wrapRule('rule permit {\n   role = "x" }'));
    expect(e).toMatchObject({ line: 2, column: 4, code: 'POLICY_UNKNOWN_ATTRIBUTE' });
    expect(e?.message).toContain('"role"');
  });

  it('§8: description "d" inside a resource is accepted', () => {
    expect(parsePolicy('resource "x" { description "d" action "y" { rule deny { vo = "v" } } }', 't.spl').ok).toBe(true);
  });

  it('§8: description = "d" is a syntax error at the "="', () => {
    const [e] = errors('resource "x" { description = "d" action "y" { rule deny { vo = "v" } } }');
    expect(e).toMatchObject({ line: 1, column: 28, code: 'POLICY_SYNTAX' });
  });

  it('§8: "# a # resource …" re-enters code after the second "#" and parses one resource, with a warning', () => {
    const r = parsePolicy('# a # resource "x" { action "y" { rule deny { vo = v } } }\n', 't.spl');
    if (!r.ok) throw new Error('must parse');
    expect(r.value.resources).toHaveLength(1);
    expect(r.value.resources[0]?.value).toBe('x');
    expect(r.warnings).toContainEqual(expect.objectContaining({ line: 1, column: 5, code: 'POLICY_COMMENT_HASH', severity: 'warning' }));
  });

  it('§8 / §12.1: subject = "CN=a\\, b,O=c" is a lexical error (\\, is not an SPL escape)', () => {
    const [e] = errors(wrapRule('rule deny { subject = "CN=a\\, b,O=c" }'));
    expect(e).toMatchObject({ line: 1, column: 56, code: 'POLICY_LEXICAL' });
  });

  it('§8: a DN with an escaped comma can be written in slash form', () => {
    const r = parsePolicy(wrapRule('rule deny { subject = "/O=c/CN=a, b" }'), 't.spl');
    expect(r.ok).toBe(true);
  });

  it('§8: subject = "" is an error (empty DN)', () => {
    const [e] = errors(wrapRule('rule deny { subject = "" }'));
    expect(e).toMatchObject({ line: 1, column: 51, code: 'POLICY_BAD_VALUE' });
  });

  it('§8: resource "http://example\\.org/ce" is a lexical error at the backslash', () => {
    const [e] = errors('resource "http://example\\.org/ce" { action "y" { rule deny { vo = v } } }');
    expect(e).toMatchObject({ line: 1, column: 25, code: 'POLICY_LEXICAL' });
    expect(e?.message).toMatch(/\[\.\]/);
  });
});

describe('corrections of policy-language.md §12', () => {
  const good = 'resource "x" { action "y" { rule deny { vo = v } } }';

  it('§12.2: text after the last complete block is ignored by default (warning)', () => {
    for (const tail of ['}', ' "junk" { {', ' = = =', ' permit deny']) {
      const r = parsePolicy(`${good}\n${tail}`, 't.spl');
      if (!r.ok) throw new Error(`must accept trailing ${tail}`);
      expect(r.value.resources).toHaveLength(1);
      expect(r.warnings).toContainEqual(expect.objectContaining({ line: 2, code: 'POLICY_TRAILING_TEXT', severity: 'warning' }));
    }
  });

  it('§12.2: strict mode reports trailing text as an error', () => {
    expect(errors(`${good}\n}`, true)).toEqual([expect.objectContaining({ line: 2, column: 1, code: 'POLICY_TRAILING_TEXT' })]);
  });

  it('§12.2: trailing text whose first token cannot be lexed is still an error (Argus lexes one token ahead)', () => {
    expect(errors(`${good}\n/oops`)).toEqual([expect.objectContaining({ line: 2, column: 1, code: 'POLICY_LEXICAL' })]);
  });

  it('§12.2: a broken block after a complete one is an error, not trailing text', () => {
    expect(errors(`${good}\nresource "z" {`)).toEqual([expect.objectContaining({ line: 2, code: 'POLICY_SYNTAX' })]);
  });

  it('§12.3: a comment on the last line without a final newline is a lexical error', () => {
    expect(errors(`${good}\n# last words`)).toEqual([expect.objectContaining({ line: 2, column: 1, code: 'POLICY_LEXICAL' })]);
    expect(parsePolicy(`${good}\n# last words\n`, 't.spl').ok).toBe(true);
  });

  it('§12.4: bare action/resource as attribute ids inside a rule are syntax errors; quoted they work', () => {
    expect(errors(wrapRule('rule deny { action = "a" }'))[0]).toMatchObject({ code: 'POLICY_SYNTAX', column: 41 });
    expect(errors(wrapRule('rule deny { resource = "a" }'))[0]).toMatchObject({ code: 'POLICY_SYNTAX' });
    expect(parsePolicy(wrapRule('rule deny { "action" = "a.*" \'resource\' = "r" }'), 't.spl').ok).toBe(true);
  });

  it('§12.9: the Argus 1.0 names dn and ca are rejected', () => {
    for (const id of ['dn', 'ca']) {
      const [e] = errors(wrapRule(`rule deny { ${id} = "CN=x" }`));
      expect(e).toMatchObject({ code: 'POLICY_UNKNOWN_ATTRIBUTE', column: 41 });
    }
  });
});

describe('lexical structure (§2)', () => {
  it('keeps escape sequences verbatim and strips only the delimiters', () => {
    const r = parsePolicyDocument(wrapRule(`rule deny { vo = "x\\"y" vo = 'it\\'s' vo = "\\101\\7" vo = 'a"b' }`), 't.spl');
    if (!r.ok) throw new Error('must parse');
    const res = r.value.items[0];
    const action = res?.kind === 'resource' ? res.items[0] : undefined;
    const rule = action?.kind === 'action' ? action.items[0] : undefined;
    expect(rule?.kind === 'rule' && rule.assignments.map((a) => a.value.value)).toEqual(['x\\"y', "it\\'s", '\\101\\7', 'a"b']);
  });

  it('a bare keyword is always the keyword, so it cannot be a value unless quoted', () => {
    expect(errors(wrapRule('rule deny { vo = deny }'))[0]).toMatchObject({ code: 'POLICY_SYNTAX', column: 46 });
    expect(parsePolicy(wrapRule('rule deny { vo = "deny" }'), 't.spl').ok).toBe(true);
  });

  it('digits-only and 0x… bare values lex as bare words; keyword prefixes are words', () => {
    expect(parsePolicy(wrapRule('rule deny { vo = 1234 vo = 0x1F vo = rules vo = permit_x vo = a-b_c }'), 't.spl').ok).toBe(true);
  });

  it('rejects a quoted value that runs past the end of the line, and unterminated ones', () => {
    expect(errors('resource "x\n" { action "y" { rule deny { vo = v } } }')[0]).toMatchObject({ line: 1, column: 10, code: 'POLICY_LEXICAL' });
    expect(errors('resource "x')[0]).toMatchObject({ code: 'POLICY_LEXICAL' });
  });

  it('counts lines across LF, CRLF and CR and tabs as one column', () => {
    const e = errors('resource "x" {\r\n action "y" {\r  rule deny {\n\tbogus = v } } }')[0];
    expect(e).toMatchObject({ line: 4, column: 2, code: 'POLICY_UNKNOWN_ATTRIBUTE' });
  });

  it('a comment ends at the newline or at the next "#", and "#" inside quotes is text', () => {
    const r = parsePolicy('####\n# one # # two\nresource "a#b" { # note\n action "y" { rule deny { vo = "#" } } }\n', 't.spl');
    if (!r.ok) throw new Error(JSON.stringify(r.error.diagnostics));
    expect(r.value.resources[0]?.value).toBe('a#b');
    expect(r.warnings).toEqual([]);
    // The classic banner style breaks: the second "#" ends the comment and "heading" becomes policy text.
    const banner = parsePolicy('## heading ##\nresource "x" { action "y" { rule deny { vo = v } } }\n', 't.spl');
    expect(!banner.ok && banner.error.diagnostics.map((d) => [d.column, d.code])).toEqual([
      [2, 'POLICY_COMMENT_HASH'],
      [4, 'POLICY_SYNTAX'],
    ]);
  });

  it('reports unexpected characters with their position', () => {
    expect(errors('resource "x" { action "y" { rule deny { vo = v ; } } }')[0]).toMatchObject({ column: 48, code: 'POLICY_LEXICAL' });
  });
});

describe('grammar (§3)', () => {
  it('rejects an empty file and a file of comments only', () => {
    expect(errors('')[0]).toMatchObject({ line: 1, column: 1, code: 'POLICY_SYNTAX' });
    expect(errors('# nothing\n')[0]).toMatchObject({ line: 2, column: 1, code: 'POLICY_SYNTAX' });
  });

  it('requires at least one item in resources and actions', () => {
    expect(errors('resource "x" { }')[0]).toMatchObject({ column: 16, code: 'POLICY_SYNTAX' });
    expect(errors('resource "x" { action "y" { } }')[0]).toMatchObject({ column: 29, code: 'POLICY_SYNTAX' });
  });

  it('accepts private actions, obligations with assignments and empty obligations', () => {
    const r = parsePolicy(
      `resource "x" {
    obligation "urn:o" {}
    private action "y" {
        obligation "urn:p" { vo = atlas }
        rule permit { vo = atlas }
    }
}
`,
      't.spl',
    );
    if (!r.ok) throw new Error('must parse');
    expect(r.value.resources[0]?.actions[0]).toMatchObject({ private: true, policyId: 't.spl:3', value: 'y' });
  });

  it('rejects private not followed by action', () => {
    expect(errors('resource "x" { private rule deny { vo = v } }')[0]).toMatchObject({ column: 24, code: 'POLICY_SYNTAX' });
  });

  it('accepts apf fragments (top-level actions) as documents but not as standalone policies', () => {
    const text = 'action "submit" { rule permit { vo = cms } }\nprivate action "debug" { rule permit { subject = "CN=Site Admin,O=Example,C=XX" } }\n';
    const doc = parsePolicyDocument(text, 'apf.spl');
    expect(doc.ok && doc.value.items.map((i) => i.kind === 'action' && i.private)).toEqual([false, true]);
    expect(errors(text).map((e) => [e.line, e.code])).toEqual([
      [1, 'POLICY_NOT_STANDALONE'],
      [2, 'POLICY_NOT_STANDALONE'],
    ]);
  });

  it('obligation assignments must use known short names', () => {
    expect(errors('resource "x" { obligation "o" { uid = "42" } action "y" { rule deny { vo = v } } }')[0]).toMatchObject({
      column: 33,
      code: 'POLICY_UNKNOWN_ATTRIBUTE',
    });
  });

  it('does not recurse on nested input and rejects oversize input', () => {
    const deep = `resource "x" ${'{ '.repeat(100_000)}`;
    expect(errors(deep)[0]).toMatchObject({ code: 'POLICY_SYNTAX', column: 16 });
    const huge = parseSyntax('#'.repeat(8 * 1024 * 1024 + 1));
    expect(huge.diagnostics[0]?.code).toBe('POLICY_TOO_LARGE');
  });
});

describe('checker', () => {
  it('rejects bad DN, FQAN and regex values at the value position', () => {
    const text = `resource "x" {
    action "(?i)y" {
        rule deny { subject = "/not a dn" }
        rule deny { subject-issuer = "no equals sign" }
        rule deny { pfqan = "atlas" }
        rule deny { fqan = "/atlas/Foo=bar" }
    }
}
`;
    expect(errors(text).map((e) => [e.line, e.column, e.code])).toEqual([
      [2, 13, 'POLICY_UNSUPPORTED_REGEX'],
      [3, 31, 'POLICY_BAD_VALUE'],
      [4, 38, 'POLICY_BAD_VALUE'],
      [5, 29, 'POLICY_BAD_VALUE'],
      [6, 28, 'POLICY_BAD_VALUE'],
    ]);
  });

  it('points regex errors at the offending character inside the value', () => {
    expect(errors('resource "ab{x" { action "y" { rule deny { vo = v } } }')[0]).toMatchObject({ column: 13, code: 'POLICY_UNSUPPORTED_REGEX' });
    expect(errors('resource ab { action "a*+" { rule deny { vo = v } } }')[0]).toMatchObject({ column: 25, code: 'POLICY_UNSUPPORTED_REGEX' });
  });

  it('warns about duplicates, shadowed rules, impossible rules and empty blocks', () => {
    const text = `resource "x" {
    description "one"
    description "two"
    obligation "o" {}
    obligation "o" {}
    action "y" {
        rule deny { vo = a vo = a }
        rule permit { vo = b }
        rule deny { vo = b }
        rule permit { subject = "CN=a" subject = "CN=b" }
        rule permit { subject = "/CN=B" subject = "cn=a" }
        rule permit { pfqan = "/x" pfqan = "/y" }
    }
    action "z" { description "nothing" }
}
`;
    const diags = lintPolicy(text, 't.spl');
    expect(diags.every((d) => d.severity === 'warning')).toBe(true);
    expect(diags.map((d) => [d.line, d.code])).toEqual([
      [2, 'POLICY_DUPLICATE'],
      [5, 'POLICY_DUPLICATE'],
      [7, 'POLICY_DUPLICATE'],
      [9, 'POLICY_DUPLICATE'],
      [10, 'POLICY_NEVER_MATCHES'],
      [11, 'POLICY_DUPLICATE'],
      [11, 'POLICY_NEVER_MATCHES'],
      [12, 'POLICY_NEVER_MATCHES'],
      [14, 'POLICY_NEVER_MATCHES'],
    ]);
  });

  it('warns about nested repetition that can backtrack catastrophically', () => {
    expect(lintPolicy('resource "(a+)+" { action "y" { rule deny { vo = v } } }', 't.spl')).toEqual([
      expect.objectContaining({ code: 'POLICY_SLOW_REGEX', severity: 'warning' }),
    ]);
  });

  it('a clean policy lints clean', () => {
    expect(lintPolicy('resource ".*" { action ".*" { rule deny { vo = v } } }\n', 't.spl')).toEqual([]);
  });

  it('failure carries a formatted first error as its detail', () => {
    const r = parsePolicy(wrapRule('rule permit { role = "x" }'), 'site.spl');
    expect(!r.ok && r.error).toMatchObject({ code: 'POLICY_UNKNOWN_ATTRIBUTE', detail: expect.stringMatching(/^site\.spl:1:43: error: unknown attribute "role"/) });
  });
});
