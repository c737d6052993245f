/**
 * Builds proxies with Debian's voms-proxy-fake (and `openssl x509 -req` for proxies of proxies, which
 * voms-proxy-fake cannot sign) on top of a dev-pki directory, so the validator is tested on credentials made
 * by a real grid tool rather than only by our own builder. Each entry records what credentials.md expects.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isCertificateLabel, pemTexts } from '@gridauthz/credentials';
import type { DevPkiManifest } from '@gridauthz/dev-pki';

export interface FakeFixture {
  readonly file: string;
  /** 'valid' or the chain-level CRED_* code. */
  readonly expected: string;
  readonly identity?: string;
  readonly fqans?: readonly string[];
  /** Codes of rejected ACs, in order. */
  readonly rejectedAcs?: readonly string[];
  readonly format?: 'rfc3820' | 'draft' | 'legacy';
  readonly limited?: boolean;
  readonly depth?: number;
  readonly note: string;
}

export function vomsProxyFakeAvailable(): boolean {
  try {
    execFileSync('voms-proxy-fake', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const PILOT = '/atlas/Role=pilot/Capability=NULL';
const MEMBER = '/atlas/Role=NULL/Capability=NULL';
const PRODUCTION = '/atlas/production/Role=NULL/Capability=NULL';

export function makeVomsFakeFixtures(pkiDir: string, m: DevPkiManifest, outDir: string): Record<string, FakeFixture> {
  const p = (rel: string): string => join(pkiDir, rel);
  const atlas = m.voms['atlas'];
  if (!atlas) throw new Error('dev PKI without an atlas VOMS server');
  const uri = `${atlas.host}:${atlas.port}`;
  const fake = (name: string, user: string, args: string[], hostcert = atlas.certFile, hostkey = atlas.keyFile): string => {
    const out = join(outDir, `${name}.pem`);
    const u = m.users[user];
    if (!u) throw new Error(`no user ${user}`);
    execFileSync(
      'voms-proxy-fake',
      ['-q', '-bits', '1024', '-cert', p(u.certFile), '-key', p(u.keyFile), '-certdir', p(m.caDir), '-hostcert', p(hostcert), '-hostkey', p(hostkey), '-out', out, ...args],
      { stdio: 'ignore', env: { ...process.env, RANDFILE: join(outDir, '.rnd') } },
    );
    return out;
  };
  const voms = (...fqans: string[]): string[] => ['-voms', 'atlas', '-uri', uri, ...fqans.flatMap((f) => ['-fqan', f])];
  /** A proxy of the proxy in `parentFile`, signed with openssl; the output keeps the voms-proxy-init layout. */
  const opensslChild = (name: string, parentFile: string): string => {
    const parentSubject = execFileSync('openssl', ['x509', '-in', parentFile, '-noout', '-subject', '-nameopt', 'compat'], { encoding: 'utf8' })
      .trim()
      .replace(/^subject=/, '');
    const ext = join(outDir, `${name}.cnf`);
    writeFileSync(ext, '[p]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nproxyCertInfo=critical,language:id-ppl-inheritAll\n');
    const key = join(outDir, `${name}.key`);
    const csr = join(outDir, `${name}.csr`);
    const cert = join(outDir, `${name}.crt`);
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-subj', `${parentSubject}/CN=4242`, '-out', csr], { stdio: 'ignore' });
    execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', parentFile, '-CAkey', parentFile, '-set_serial', '4242', '-days', '1', '-extfile', ext, '-extensions', 'p', '-out', cert], { stdio: 'ignore' });
    const parentPem = readFileSync(parentFile, 'utf8');
    const parentCerts = pemTexts(parentPem)
      .filter((b) => isCertificateLabel(b.label))
      .map((b) => `${b.text}\n`);
    const out = join(outDir, `${name}.pem`);
    writeFileSync(out, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8') + parentCerts.join(''), { mode: 0o600 });
    return out;
  };

  const alice = m.users['alice']?.subject;
  const f: Record<string, FakeFixture> = {};
  f['vf-voms'] = { file: fake('vf-voms', 'alice', ['-rfc', ...voms(PILOT, MEMBER, PRODUCTION)]), expected: 'valid', identity: alice, fqans: [PILOT, MEMBER, PRODUCTION], format: 'rfc3820', note: 'alice-voms of §10' };
  f['vf-voms-newformat'] = { file: fake('vf-voms-newformat', 'alice', ['-rfc', '-newformat', ...voms(PILOT, MEMBER, PRODUCTION)]), expected: 'valid', fqans: [PILOT, MEMBER, PRODUCTION], note: 'RFC 3281 holder' };
  f['vf-plain'] = { file: fake('vf-plain', 'alice', ['-rfc']), expected: 'valid', identity: alice, fqans: [], note: 'no AC' };
  f['vf-limited'] = { file: fake('vf-limited', 'alice', ['-rfc', '-limited', ...voms(MEMBER)]), expected: 'valid', fqans: [MEMBER], limited: true, note: 'alice-limited' };
  f['vf-expired'] = { file: fake('vf-expired', 'alice', ['-rfc', '-pastproxy', '7200', '-hours', '1', ...voms(MEMBER)]), expected: 'CRED_PROXY_EXPIRED', note: 'proxy ended an hour ago' };
  f['vf-ac-expired'] = { file: fake('vf-ac-expired', 'alice', ['-rfc', '-pastac', '172800', '-vomslife', '1', ...voms(MEMBER)]), expected: 'valid', fqans: [], rejectedAcs: ['CRED_AC_EXPIRED'], note: 'alice-ac-expired' };
  f['vf-rogue'] = {
    file: fake('vf-rogue', 'alice', ['-rfc', '-voms', 'atlas', '-uri', 'voms-rogue.gridauthz-dev.org:15001', '-fqan', MEMBER], 'voms/rogue/vomscert.pem', 'voms/rogue/vomskey.pem'),
    expected: 'valid',
    fqans: [],
    rejectedAcs: ['CRED_AC_SIGNER_UNKNOWN'],
    note: 'alice-voms-rogue: no .lsc and no certificate for that host',
  };
  f['vf-rogue-claims-real-host'] = {
    file: fake('vf-rogue-claims-real-host', 'alice', ['-rfc', ...voms(MEMBER)], 'voms/rogue/vomscert.pem', 'voms/rogue/vomskey.pem'),
    expected: 'valid',
    fqans: [],
    rejectedAcs: ['CRED_AC_LSC_MISMATCH'],
    note: 'rogue signer naming the real VOMS host: the .lsc decides',
  };
  f['vf-proxy2'] = { file: opensslChild('vf-proxy2', f['vf-voms'].file), expected: 'valid', identity: alice, fqans: [PILOT, MEMBER, PRODUCTION], depth: 2, note: 'alice-voms-proxy2: AC from level 1' };
  f['vf-revoked'] = { file: fake('vf-revoked', 'revoked', ['-rfc', ...voms(MEMBER)]), expected: 'CRED_CERT_REVOKED', note: 'user listed in the CRL' };
  f['vf-legacy'] = { file: fake('vf-legacy', 'alice', ['-proxyver', '2', ...voms(MEMBER)]), expected: 'valid', fqans: [MEMBER], format: 'legacy', note: '-proxyver 2 with AC' };
  f['vf-draft'] = { file: fake('vf-draft', 'alice', ['-proxyver', '3', '-path-length', '2', ...voms(MEMBER)]), expected: 'valid', fqans: [MEMBER], format: 'draft', note: '-proxyver 3 -path-length 2 with AC' };
  const pl0 = fake('vf-pathlen0-parent', 'alice', ['-rfc', '-path-length', '0']);
  f['vf-pathlen0-child'] = { file: opensslChild('vf-pathlen0-child', pl0), expected: 'CRED_PROXY_PATH_LENGTH_EXCEEDED', note: 'proxy below a pathLen 0 proxy' };
  f['vf-pilot'] = { file: fake('vf-pilot', 'pilot', ['-rfc', ...voms(PILOT, MEMBER)]), expected: 'valid', identity: m.users['pilot']?.subject, fqans: [PILOT, MEMBER], note: 'pilot job proxy' };
  f['vf-fqan-outside-vo'] = { file: fake('vf-fqan-outside-vo', 'alice', ['-rfc', ...voms(MEMBER, '/cms/Role=NULL/Capability=NULL')]), expected: 'valid', fqans: [], rejectedAcs: ['CRED_AC_FQAN_OUTSIDE_VO'], note: '/cms FQAN in an atlas AC' };
  f['vf-no-port'] = { file: fake('vf-no-port', 'alice', ['-rfc', '-voms', 'atlas', '-uri', atlas.host, '-fqan', MEMBER]), expected: 'valid', fqans: [], rejectedAcs: ['CRED_AC_POLICY_AUTHORITY_INVALID'], note: 'policy authority without port' };
  f['vf-no-fqan'] = { file: fake('vf-no-fqan', 'alice', ['-rfc', '-voms', 'atlas', '-uri', uri, '-ga', 'nickname=alice']), expected: 'valid', fqans: [], rejectedAcs: [], note: 'FQAN-less AC (§9.15), with a generic attribute' };
  f['vf-mallory'] = { file: fake('vf-mallory', 'mallory', ['-rfc']), expected: 'CRED_CA_UNKNOWN', note: 'untrusted CA' };
  f['vf-outsider'] = { file: fake('vf-outsider', 'outsider', ['-rfc']), expected: 'CRED_NAMESPACE_NOT_PERMITTED', note: 'outside the CA namespace' };
  return f;
}
