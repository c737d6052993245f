import { describe, expect, it } from 'vitest';
import { withoutPositions, type PolicyDocument } from './ast';
import { withBan, withoutBan } from './ban';
import { compileDocument } from './compile';
import { evaluate } from './evaluate';
import { parsePolicyDocument } from './policy';
import { printPolicy } from './printer';
import { A_EXECUTE, R_WN, SPEC_7_1, request } from './testing/fixtures';

function doc(text: string): PolicyDocument {
  const r = parsePolicyDocument(text, 't.spl');
  if (!r.ok) throw new Error(r.error.detail);
  return r.value;
}

function ban(d: PolicyDocument, attribute: string, value: string, options = {}) {
  const r = withBan(d, attribute, value, options);
  if (!r.ok) throw new Error(r.error.detail);
  return r.value;
}

function unban(d: PolicyDocument, attribute: string, value: string, options = {}) {
  const r = withoutBan(d, attribute, value, options);
  if (!r.ok) throw new Error(r.error.detail);
  return r.value;
}

const MALLORY = '/DC=org/DC=example/CN=Mallory Banned';

describe('ban (§6.3, mapping.md §4.3)', () => {
  it('creates a ".*"/".*" block at the top of an empty policy, storing the DN as RFC 2253', () => {
    const out = ban({ items: [] }, 'subject', MALLORY);
    expect(out.changed).toBe(true);
    expect(printPolicy(out.document)).toBe(`resource ".*" {
    action ".*" {
        rule deny { subject="CN=Mallory Banned,DC=example,DC=org" }
    }
}
`);
  });

  it('inserts the deny rule first into an existing first ".*"/".*" block, so it beats later permits', () => {
    const site = doc(SPEC_7_1);
    const out = ban(site, 'pfqan', '/atlas');
    const first = out.document.items[0];
    expect(first?.kind === 'resource' && first.items[0]?.kind === 'action' && first.items[0].items.map((i) => i.kind === 'rule' && i.assignments[0]?.id.value)).toEqual([
      'pfqan',
      'subject',
      'fqan',
      'subject-issuer',
    ]);
    expect(out.document.items.length).toBe(site.items.length);
    const compiled = compileDocument(out.document, 'site.spl', '');
    if (!compiled.set) throw new Error('must compile');
    expect(evaluate(compiled.set, request({ resource: R_WN, action: A_EXECUTE, fqans: ['/atlas'] })).decision).toBe('Deny');
  });

  it('is pure: the input document is not modified', () => {
    const site = doc(SPEC_7_1);
    const before = JSON.stringify(withoutPositions(site));
    ban(site, 'vo', 'badvo');
    expect(JSON.stringify(withoutPositions(site))).toBe(before);
  });

  it('is idempotent, comparing DNs canonically and FQANs by meaning', () => {
    const once = ban({ items: [] }, 'subject', MALLORY).document;
    expect(ban(once, 'subject', 'CN=mallory banned,DC=example,DC=org')).toEqual({ document: once, changed: false });
    const f = ban({ items: [] }, 'fqan', '/atlas/Role=hacker').document;
    expect(ban(f, 'fqan', '/atlas/Role=hacker/Capability=NULL').changed).toBe(false);
  });

  it('adds a new resource block at index 0 when the first block is for another resource', () => {
    const d = doc('resource "wn" { action ".*" { rule permit { vo = atlas } } }');
    const out = ban(d, 'vo', 'atlas');
    expect(out.document.items.map((i) => i.value.value)).toEqual(['.*', 'wn']);
  });

  it('adds a new action at the top of the first resource when its first action differs in value or visibility', () => {
    const d = doc('resource ".*" { obligation "o" {} action "submit" { rule permit { vo = atlas } } }');
    const out = ban(d, 'vo', 'cms');
    const r = out.document.items[0];
    expect(r?.kind === 'resource' && r.items.map((i) => (i.kind === 'action' ? `${i.value.value}:${i.private}` : i.kind))).toEqual(['obligation', '.*:false', 'submit:false']);
    const priv = ban(out.document, 'vo', 'lhcb', { private: true });
    const r2 = priv.document.items[0];
    expect(r2?.kind === 'resource' && r2.items.map((i) => (i.kind === 'action' ? `${i.value.value}:${i.private}` : i.kind))).toEqual([
      'obligation',
      '.*:true',
      '.*:false',
      'submit:false',
    ]);
  });

  it('honours --resource and --action', () => {
    const out = ban({ items: [] }, 'vo', 'atlas', { resource: 'http://example[.]org/ce', action: 'submit' });
    expect(printPolicy(out.document)).toContain('resource "http://example[.]org/ce" {\n    action "submit" {');
  });

  it('rejects unknown attributes, dn/ca, bad values and values SPL cannot write', () => {
    expect(withBan({ items: [] }, 'role', 'x').ok).toBe(false);
    expect(withBan({ items: [] }, 'dn', 'CN=x').ok).toBe(false);
    expect(withBan({ items: [] }, 'subject', '').ok).toBe(false);
    expect(withBan({ items: [] }, 'fqan', 'atlas').ok).toBe(false);
    expect(withBan({ items: [] }, 'vo', 'a\nb').ok).toBe(false);
    const r = withBan({ items: [] }, 'subject', 'CN=a\\, b,O=c');
    expect(!r.ok && r.error.code).toBe('POLICY_BAD_VALUE');
  });

  it('keeps the slash form when the RFC 2253 conversion needs a backslash escape', () => {
    const out = ban({ items: [] }, 'subject', '/O=c/CN=a, b');
    expect(printPolicy(out.document)).toContain('subject="/O=c/CN=a, b"');
  });
});

describe('un-ban', () => {
  it('removes the first deny rule containing the attribute and keeps the rest', () => {
    const site = doc(SPEC_7_1);
    const out = unban(site, 'fqan', '/atlas/Role=hacker/Capability=NULL');
    expect(out.changed).toBe(true);
    expect(printPolicy(out.document)).not.toContain('hacker');
    expect(printPolicy(out.document)).toContain('Mallory');
  });

  it('deletes an emptied action and an emptied resource, restoring the original document', () => {
    const site = doc(SPEC_7_1);
    const banned = ban(site, 'vo', 'evil', { resource: 'x', action: 'y' }).document;
    expect(banned.items.length).toBe(site.items.length + 1);
    const back = unban(banned, 'vo', 'evil', { resource: 'x', action: 'y' });
    expect(withoutPositions(back.document)).toEqual(withoutPositions(site));
  });

  it('reports not found without changing anything, and ignores permit rules', () => {
    const d = doc('resource ".*" { action ".*" { rule permit { vo = atlas } } }');
    expect(unban(d, 'vo', 'atlas')).toEqual({ document: d, changed: false });
    expect(unban(d, 'vo', 'cms').changed).toBe(false);
  });

  it('finds the ban in a later resource block with the same value and in a multi-attribute rule', () => {
    const d = doc(`resource ".*" { action "other" { rule deny { vo = a } } }
resource ".*" { action ".*" { rule deny { vo = x subject = "CN=Mallory Banned,DC=example,DC=org" } rule deny { vo = y } } }`);
    const out = unban(d, 'subject', MALLORY);
    expect(out.changed).toBe(true);
    expect(printPolicy(out.document)).toBe(`resource ".*" {
    action "other" {
        rule deny { vo="a" }
    }
}

resource ".*" {
    action ".*" {
        rule deny { vo="y" }
    }
}
`);
  });
});
