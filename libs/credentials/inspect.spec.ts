import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '@gridauthz/domain';
import { generateDevPki } from '@gridauthz/dev-pki';
import type { DevPkiManifest } from '@gridauthz/dev-pki';
import { IgtfTrustStore, inspectCredential, renderInspectReport } from '@gridauthz/credentials';

describe('inspectCredential', () => {
  let dir: string;
  let m: DevPkiManifest;
  let store: IgtfTrustStore;
  let now: Date;
  const pem = (name: string): string => readFileSync(join(dir, m.proxies[name]?.file ?? ''), 'utf8');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cred-inspect-'));
    m = await generateDevPki({ dir });
    now = new Date(Date.parse(m.now) + 60_000);
    store = await IgtfTrustStore.open({ caDir: join(dir, m.caDir), vomsDir: join(dir, m.vomsDir), log: silentLog });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a valid VOMS proxy with DNs in both forms, FQANs and the AC, but never the key', () => {
    const report = inspectCredential(pem('alice-voms'), store, now);
    expect(report).toMatchObject({
      verdict: 'valid',
      reasons: [],
      containsPrivateKey: true,
      identity: { subject: { slash: m.users['alice']?.subject, rfc2253: 'CN=Alice Atlas,OU=People,DC=gridauthz-dev,DC=org' }, serialHex: '1004' },
      limited: false,
      primaryFqan: '/atlas/Role=NULL/Capability=NULL',
    });
    expect(report.certificates.map((c) => c.kind)).toEqual(['proxy', 'eec']);
    expect(report.certificates[0]?.proxy).toEqual({ format: 'rfc3820', policy: 'inheritAll', pathLen: 1 });
    expect(report.voms?.acs[0]?.signer.slash).toBe(m.voms['atlas']?.subject);
    const text = renderInspectReport(report);
    expect(text).toContain('verdict     : VALID\n');
    expect(text).toContain(`identity    : ${m.users['alice']?.subject}\n`);
    expect(text).toContain('attribute   : /atlas/production/Role=NULL/Capability=NULL\n');
    expect(text).toContain('attribute   : nickname = alice (atlas)\n');
    expect(text).not.toMatch(/PRIVATE KEY|MII/);
    expect(JSON.stringify(report)).not.toMatch(/PRIVATE KEY/);
  });

  it('explains a rejected AC while the chain stays valid', () => {
    const report = inspectCredential(pem('alice-voms-rogue'), store, now);
    expect(report.verdict).toBe('valid');
    expect(report.fqans).toEqual([]);
    expect(report.reasons).toEqual([expect.stringMatching(/^AC 0 \(atlas\) rejected: CRED_AC_SIGNER_UNKNOWN: /)]);
  });

  it('gives the failure code and the certificate concerned for an invalid chain, still listing the chain', () => {
    const report = inspectCredential(pem('revoked'), store, now);
    expect(report.verdict).toBe('invalid');
    expect(report.error?.code).toBe('CRED_CERT_REVOKED');
    expect(report.reasons[0]).toMatch(/^CRED_CERT_REVOKED: .*\(certificate 1 \/DC=org\/DC=gridauthz-dev\/OU=People\/CN=Rex Revoked\)$/);
    expect(report.certificates).toHaveLength(2);
    expect(renderInspectReport(report)).toContain('verdict     : INVALID\n');
  });

  it('handles text that is not a credential', () => {
    const report = inspectCredential('hello', store, now);
    expect(report).toMatchObject({ verdict: 'invalid', certificates: [], error: { code: 'CRED_CHAIN_MALFORMED' } });
    const garbled = inspectCredential('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', store, now);
    expect(garbled.certificates[0]).toMatchObject({ kind: 'unparsable' });
    expect(garbled.error?.code).toBe('CRED_CHAIN_MALFORMED');
  });
});
