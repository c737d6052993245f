import { describe, expect, it } from 'vitest';
import { StartupFailure } from '../startup-failure';
import { pdpPublicUrl } from './public-url';

/** pdp.publicUrl and the default built when it is unset (docs/authzen.md §1.1). */
describe('the PDP public URL', () => {
  const machine = () => 'pdp01.example.org';

  it('is the configured value when set, whatever the listener address', () => {
    expect(pdpPublicUrl('https://pdp.example.org', '0.0.0.0', 8443, machine)).toBe('https://pdp.example.org');
  });

  it('is built from pdp.host and pdp.port, or from the host name when pdp.host is a wildcard', () => {
    expect(pdpPublicUrl(undefined, '0.0.0.0', 8443, machine)).toBe('https://pdp01.example.org:8443');
    expect(pdpPublicUrl(undefined, '::', 8443, machine)).toBe('https://pdp01.example.org:8443');
    expect(pdpPublicUrl(undefined, 'pdp.example.org', 9443, machine)).toBe('https://pdp.example.org:9443');
    expect(pdpPublicUrl(undefined, '2001:db8::1', 8443, machine)).toBe('https://[2001:db8::1]:8443');
    expect(pdpPublicUrl(undefined, 'PDP.example.org', 443, machine)).toBe('https://pdp.example.org');
  });

  it('stops start-up naming pdp.publicUrl when no usable URL can be built', () => {
    for (const name of ['', 'bad host']) {
      let failure: unknown;
      try {
        pdpPublicUrl(undefined, '0.0.0.0', 8443, () => name);
      } catch (err) {
        failure = err;
      }
      expect(failure, JSON.stringify(name)).toBeInstanceOf(StartupFailure);
      expect((failure as StartupFailure).message).toMatch(/set pdp\.publicUrl/);
      expect((failure as StartupFailure).exitCode).toBe(78);
    }
  });
});
