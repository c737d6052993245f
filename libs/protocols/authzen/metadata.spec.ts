import { describe, expect, it } from 'vitest';
import { authzenMetadata, pdpIdentifier } from './metadata';

/** The PDP identifier and metadata document of AuthZEN 1.0 §9 (docs/reference/authzen.md). */
describe('AuthZEN PDP metadata', () => {
  it('takes an https URL without a path and writes it in the one spelling PEPs compare (§9.1.1, §9.2.3)', () => {
    expect(pdpIdentifier('https://pdp.example.org:8443')).toEqual({ ok: true, value: 'https://pdp.example.org:8443' });
    expect(pdpIdentifier('https://PDP.Example.org:8443/')).toEqual({ ok: true, value: 'https://pdp.example.org:8443' });
    expect(pdpIdentifier('https://pdp.example.org:443')).toEqual({ ok: true, value: 'https://pdp.example.org' });
    expect(pdpIdentifier('https://[2001:db8::1]:8443')).toEqual({ ok: true, value: 'https://[2001:db8::1]:8443' });
  });

  it('refuses what could not be a PDP identifier, saying why', () => {
    const refused: [string, RegExp][] = [
      ['pdp.example.org:8443', /expected an https URL/],
      ['http://pdp.example.org:8443', /https URL .*scheme http/],
      ['https://admin:secret@pdp.example.org', /user name or password/],
      ['https://pdp.example.org/?tenant=1', /query or fragment/],
      ['https://pdp.example.org#x', /query or fragment/],
      ['https://pdp.example.org/authzen', /may not have a path \(\/authzen\)/],
      ['https://', /expected an https URL/],
    ];
    for (const [text, message] of refused) {
      const result = pdpIdentifier(text);
      expect(result.ok, text).toBe(false);
      if (!result.ok) expect(result.error, text).toMatch(message);
    }
  });

  it('lists the two evaluation endpoints under the identifier and no search endpoint (§9.1.1, §9.2.2)', () => {
    expect(authzenMetadata('https://pdp.example.org:8443')).toEqual({
      policy_decision_point: 'https://pdp.example.org:8443',
      access_evaluation_endpoint: 'https://pdp.example.org:8443/access/v1/evaluation',
      access_evaluations_endpoint: 'https://pdp.example.org:8443/access/v1/evaluations',
    });
  });
});
