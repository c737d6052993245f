import { describe, expect, it } from 'vitest';
import type { PolicyDocument } from './ast';
import { withPoliciesFromFile } from './add-policies';
import { parsePolicyDocument } from './policy';
import { printPolicy } from './printer';

function doc(text: string): PolicyDocument {
  const r = parsePolicyDocument(text, 't.spl');
  if (!r.ok) throw new Error(r.error.detail);
  return r.value;
}

const BASE = doc('resource ".*" { action ".*" { rule deny { vo = bad } } }\nresource "ce" { action "submit" { rule permit { vo = atlas } } }');

describe('add policies from file (§6.3, §12.5)', () => {
  it('appends resource blocks at the bottom', () => {
    const r = withPoliciesFromFile(BASE, doc('resource "se" { action "read" { rule permit { vo = cms } } }'));
    expect(r.ok && r.value.items.map((i) => i.value.value)).toEqual(['.*', 'ce', 'se']);
  });

  it('appends top-level actions (including private ones) to the named resource block', () => {
    const r = withPoliciesFromFile(BASE, doc('action "cancel" { rule permit { vo = cms } }\nprivate action "debug" { rule permit { vo = ops } }'), 1);
    if (!r.ok) throw new Error(r.error.detail);
    expect(printPolicy(r.value)).toContain(`resource "ce" {
    action "submit" {
        rule permit { vo="atlas" }
    }
    action "cancel" {
        rule permit { vo="cms" }
    }
    private
    action "debug" {`);
    expect(BASE.items[1]?.kind === 'resource' && BASE.items[1].items.length).toBe(1);
  });

  it('refuses mixed files, actions without a resource, a resource index for resources and a bad index', () => {
    const actions = doc('action "x" { rule permit { vo = a } }');
    expect(withPoliciesFromFile(BASE, doc('action "x" { rule permit { vo = a } }\nresource "y" { action "z" { rule deny { vo = b } } }'), 0).ok).toBe(false);
    expect(withPoliciesFromFile(BASE, actions).ok).toBe(false);
    expect(withPoliciesFromFile(BASE, doc('resource "y" { action "z" { rule deny { vo = b } } }'), 0).ok).toBe(false);
    expect(withPoliciesFromFile(BASE, actions, 2).ok).toBe(false);
    expect(withPoliciesFromFile(BASE, { items: [] }).ok).toBe(false);
  });
});
