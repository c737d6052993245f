import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type forge from 'node-forge';
import { Oid, parseNameDer, subjectHash, subjectHashOld } from '@gridauthz/credentials';
import { Dn } from '@gridauthz/domain';
import {
  A,
  authorityKeyId,
  basicConstraints,
  certificate,
  crl,
  ecKey,
  extKeyUsage,
  KU,
  keyUsage,
  makeSigner,
  pem,
  privateKeyPem,
  proxyCertInfo,
  proxyCertInfoDraft,
  rsaKey,
  subjectAltName,
  subjectKeyId,
  toDer,
} from './builder';
import type { KeyPair, Signer } from './builder';
import type { DevPkiAc, DevPkiCa, DevPkiManifest, DevPkiProxy, DevPkiUser, DevPkiVomsServer } from './manifest';
import { acSeqExtension, attributeCertificate } from './voms-ac';

export interface DevPkiOptions {
  dir: string;
  now?: Date;
  /** DNS names for the host certificate; default ['localhost']. 127.0.0.1 is always in the SAN. */
  hostNames?: string[];
}

type Asn1 = forge.asn1.Asn1;
const HOUR = 3600_000;
const DAY = 24 * HOUR;

export const DEV_CA_DN = '/DC=org/DC=gridauthz-dev/CN=gridauthz Dev CA';
export const UNTRUSTED_CA_DN = '/DC=org/DC=gridauthz-untrusted/CN=gridauthz Untrusted CA';
export const VOMS_HOST = 'voms.gridauthz-dev.org';
export const ROGUE_VOMS_HOST = 'voms-rogue.gridauthz-dev.org';
const VOS = [
  { vo: 'atlas', port: 15001 },
  { vo: 'dteam', port: 15002 },
] as const;

interface Issued {
  readonly signer: Signer;
  readonly der: Buffer;
  readonly serial: bigint;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/**
 * Writes a complete development PKI under `opts.dir` and returns its manifest. Replaces what it owns there
 * (certificates/, users/, proxies/, untrusted/, voms/, vomsdir/, private/, hostcert.pem, hostkey.pem,
 * manifest.json) and nothing else. Everything is built with node-forge (builder.ts) and signed with node:crypto; RSA
 * keys from an earlier run in the same directory are reused, which makes a rerun take a few hundred ms.
 */
export async function generateDevPki(opts: DevPkiOptions): Promise<DevPkiManifest> {
  const now = opts.now ?? new Date();
  const at = (offsetMs: number): Date => new Date(Math.floor((now.getTime() + offsetMs) / 1000) * 1000);
  const hostNames = opts.hostNames && opts.hostNames.length > 0 ? opts.hostNames : ['localhost'];
  const dir = opts.dir;

  // RSA 2048 key generation (~150-300 ms per key) dominates the run time, so keys are kept to six (users and
  // CAs that only exist to be rejected share one) and reused from an earlier run in the same directory;
  // proxies get P-256 keys, which cost nothing.
  const keys = await loadOrCreateKeys(dir);
  const { caKeys, hostKeys, vomsKeys, aliceKeys, pilotKeys, spareKeys } = keys;
  const untrustedKeys = spareKeys;
  const rogueKeys = spareKeys;

  const files = new Map<string, string | Buffer>();
  const links: { target: string; path: string }[] = [];
  const put = (path: string, content: string | Buffer): string => {
    files.set(path, content);
    return path;
  };

  // --- CAs ---------------------------------------------------------------------------------------------
  const selfSigned = (dnText: string, pair: KeyPair, serial: bigint): Issued => {
    const signer = makeSigner(Dn.fromSlash(dnText), pair);
    const notBefore = at(-DAY);
    const notAfter = at(3650 * DAY);
    const certDer = certificate({
      serial,
      issuer: signer,
      subjectDer: signer.nameDer,
      publicKey: pair.publicKey,
      notBefore,
      notAfter,
      extensions: [basicConstraints(true), keyUsage([KU.keyCertSign, KU.cRLSign]), subjectKeyId(pair.publicKey), authorityKeyId(signer.keyId)],
    });
    return { signer, der: certDer, serial, notBefore, notAfter };
  };
  const ca = selfSigned(DEV_CA_DN, caKeys, 1n);
  const untrustedCa = selfSigned(UNTRUSTED_CA_DN, untrustedKeys, 1n);

  const issueEec = (
    issuer: Issued,
    dnText: string,
    pair: KeyPair,
    serial: bigint,
    window: [Date, Date],
    extra: { serverAuth?: boolean; san?: Buffer } = {},
  ): Issued => {
    const signer = makeSigner(Dn.fromSlash(dnText), pair);
    const certDer = certificate({
      serial,
      issuer: issuer.signer,
      subjectDer: signer.nameDer,
      publicKey: pair.publicKey,
      notBefore: window[0],
      notAfter: window[1],
      extensions: [
        basicConstraints(false),
        keyUsage([KU.digitalSignature, KU.keyEncipherment, KU.dataEncipherment]),
        extKeyUsage(extra.serverAuth ? [Oid.serverAuth, Oid.clientAuth] : [Oid.clientAuth]),
        subjectKeyId(pair.publicKey),
        authorityKeyId(issuer.signer.keyId),
        ...(extra.san ? [extra.san] : []),
      ],
    });
    return { signer, der: certDer, serial, notBefore: window[0], notAfter: window[1] };
  };
  const normal: [Date, Date] = [at(-DAY), at(365 * DAY)];

  // --- host and VOMS servers ---------------------------------------------------------------------------
  const primaryHost = hostNames[0] as string;
  const host = issueEec(ca, `/DC=org/DC=gridauthz-dev/CN=host/${primaryHost}`, hostKeys, 0x1001n, normal, {
    serverAuth: true,
    san: subjectAltName(hostNames, ['127.0.0.1']),
  });
  const voms = issueEec(ca, `/DC=org/DC=gridauthz-dev/OU=hosts/CN=${VOMS_HOST}`, vomsKeys, 0x1002n, normal, { serverAuth: true });
  const rogue = issueEec(ca, `/DC=org/DC=gridauthz-dev/OU=hosts/CN=${ROGUE_VOMS_HOST}`, rogueKeys, 0x1003n, normal, {
    serverAuth: true,
  });

  // --- users ---------------------------------------------------------------------------------------------
  interface UserDef {
    name: string;
    cn: string;
    keys: KeyPair;
    serial: bigint;
    window: [Date, Date];
    issuer: Issued;
    base?: string;
    note: string;
  }
  const people = '/DC=org/DC=gridauthz-dev/OU=People';
  const userDefs: UserDef[] = [
    { name: 'alice', cn: 'Alice Atlas', keys: aliceKeys, serial: 0x1004n, window: normal, issuer: ca, note: 'regular atlas user' },
    { name: 'bob', cn: 'Bob Dteam', keys: spareKeys, serial: 0x1005n, window: normal, issuer: ca, note: 'regular dteam user' },
    { name: 'pilot', cn: 'Pilot Atlas', keys: pilotKeys, serial: 0x1006n, window: normal, issuer: ca, note: "a pilot job's owner (/atlas/Role=pilot)" },
    // The development site's first security officer (serve --dev seeds it as an admin principal). Shares the spare
    // key: a throw-away PKI, and one more RSA key would slow every regeneration.
    { name: 'officer', cn: 'Olivia Officer', keys: spareKeys, serial: 0x100an, window: normal, issuer: ca, note: 'security officer of the development site (admin API)' },
    { name: 'revoked', cn: 'Rex Revoked', keys: spareKeys, serial: 0x1007n, window: normal, issuer: ca, note: 'listed in the CA CRL' },
    { name: 'expired', cn: 'Ed Expired', keys: spareKeys, serial: 0x1008n, window: [at(-60 * DAY), at(-30 * DAY)], issuer: ca, note: 'certificate expired 30 days before now' },
    {
      name: 'outsider',
      cn: 'Oscar Outsider',
      keys: spareKeys,
      serial: 0x1009n,
      window: normal,
      issuer: ca,
      base: '/DC=org/DC=elsewhere/OU=People',
      note: "issued by the dev CA outside its namespace (.signing_policy / .namespaces)",
    },
    {
      name: 'mallory',
      cn: 'Mallory Untrusted',
      keys: spareKeys,
      serial: 0x2001n,
      window: normal,
      issuer: untrustedCa,
      base: '/DC=org/DC=gridauthz-untrusted/OU=People',
      note: 'issued by the untrusted CA (not in certificates/)',
    },
  ];
  const users = new Map<string, Issued>();
  const userEntries: Record<string, DevPkiUser> = {};
  for (const def of userDefs) {
    const subject = `${def.base ?? people}/CN=${def.cn}`;
    const issued = issueEec(def.issuer, subject, def.keys, def.serial, def.window);
    users.set(def.name, issued);
    const trusted = def.issuer === ca;
    const base = trusted ? `users/${def.name}` : `untrusted/users/${def.name}`;
    userEntries[def.name] = Object.assign(
      entity(issued, def.issuer, put(`${base}/usercert.pem`, pem('CERTIFICATE', issued.der)), put(`${base}/userkey.pem`, privateKeyPem(def.keys.privateKey))),
      { note: def.note, trusted, revoked: def.name === 'revoked', expired: def.name === 'expired' },
    );
  }
  const user = (name: string): Issued => users.get(name) as Issued;

  // --- trust directory (IGTF layout) ----------------------------------------------------------------------
  const caName = parseNameDer(ca.signer.nameDer);
  const hash = subjectHash(caName);
  const oldHash = subjectHashOld(caName);
  put('certificates/gridauthz-dev-ca.pem', pem('CERTIFICATE', ca.der));
  put(
    'certificates/gridauthz-dev-ca.signing_policy',
    [
      '# EACL signing policy for the gridauthz development CA',
      ` access_id_CA      X509         '${DEV_CA_DN}'`,
      ' pos_rights        globus       CA:sign',
      " cond_subjects     globus       '\"/DC=org/DC=gridauthz-dev/*\"'",
      '',
    ].join('\n'),
  );
  put(
    'certificates/gridauthz-dev-ca.namespaces',
    ['#NAMESPACES-VERSION: 1.0', `TO Issuer "${DEV_CA_DN}" \\`, '  PERMIT Subject "/DC=org/DC=gridauthz-dev/.*"', ''].join('\n'),
  );
  const crlDer = crl(ca.signer, at(-HOUR), at(30 * DAY), [{ serial: user('revoked').serial, date: at(-2 * HOUR) }], 1);
  put(`certificates/${hash}.r0`, pem('X509 CRL', crlDer));
  for (const h of [hash, oldHash]) {
    links.push({ target: 'gridauthz-dev-ca.pem', path: `certificates/${h}.0` });
    links.push({ target: 'gridauthz-dev-ca.signing_policy', path: `certificates/${h}.signing_policy` });
    links.push({ target: 'gridauthz-dev-ca.namespaces', path: `certificates/${h}.namespaces` });
  }
  // fetch-crl's default "dual" mode writes the CRL under both hashes (§5.3).
  links.push({ target: `${hash}.r0`, path: `certificates/${oldHash}.r0` });

  const untrustedName = parseNameDer(untrustedCa.signer.nameDer);
  put('untrusted/ca/cacert.pem', pem('CERTIFICATE', untrustedCa.der));

  // --- host and VOMS files ---------------------------------------------------------------------------------
  const hostEntry = Object.assign(
    entity(host, ca, put('hostcert.pem', pem('CERTIFICATE', host.der)), put('hostkey.pem', privateKeyPem(hostKeys.privateKey))),
    { dnsNames: hostNames, ipAddresses: ['127.0.0.1'] },
  );
  const vomsCertFile = put('voms/vomscert.pem', pem('CERTIFICATE', voms.der));
  const vomsKeyFile = put('voms/vomskey.pem', privateKeyPem(vomsKeys.privateKey));
  put('voms/rogue/vomscert.pem', pem('CERTIFICATE', rogue.der));
  put('voms/rogue/vomskey.pem', privateKeyPem(rogueKeys.privateKey));
  const vomsEntries: Record<string, DevPkiVomsServer> = {};
  for (const { vo, port } of VOS) {
    vomsEntries[vo] = {
      vo,
      host: VOMS_HOST,
      port,
      subject: voms.signer.dn.toSlash(),
      certFile: vomsCertFile,
      keyFile: vomsKeyFile,
      lscFile: put(`vomsdir/${vo}/${VOMS_HOST}.lsc`, `${voms.signer.dn.toSlash()}\n${DEV_CA_DN}\n`),
    };
  }

  // --- proxies ---------------------------------------------------------------------------------------------
  interface ProxyLink {
    issued: Issued;
    key: KeyPair;
    chain: Buffer[]; // issuer chain above this certificate, nearest first, ending with the EEC
    depth: number;
    limited: boolean;
    policy: 'inheritAll' | 'limited';
    format: 'rfc3820' | 'draft' | 'legacy';
    userName: string;
  }
  const eecLink = (name: string): ProxyLink => ({
    issued: user(name),
    key: userDefs.find((u) => u.name === name)?.keys as KeyPair,
    chain: [],
    depth: 0,
    limited: false,
    policy: 'inheritAll',
    format: 'rfc3820',
    userName: name,
  });
  interface ProxyOpts {
    format?: 'rfc3820' | 'draft' | 'legacy';
    limited?: boolean;
    window?: [Date, Date];
    pathLen?: number;
    acs?: Buffer[];
  }
  const makeProxy = async (parent: ProxyLink, o: ProxyOpts = {}): Promise<ProxyLink> => {
    const pair = await ecKey();
    const format = o.format ?? 'rfc3820';
    const limited = o.limited ?? false;
    // Legacy (GT2) proxies reuse the EEC serial and are named CN=proxy / CN=limited proxy (§3.1, §3.4).
    const serial = format === 'legacy' ? parent.issued.serial : BigInt((randomBytes(4).readUInt32BE(0) | 1) >>> 0);
    const cn = format === 'legacy' ? (limited ? 'limited proxy' : 'proxy') : serial.toString(10);
    const subjectDer = toDer(A.seq(...(A.raw(parent.issued.signer.nameDer).value as Asn1[]), A.set(A.seq(A.oid('2.5.4.3'), A.utf8(cn)))));
    const dn = parent.issued.signer.dn.extendedBy([{ type: 'CN', value: cn }]);
    // voms-proxy-fake and Globus back-date proxies by five minutes; default lifetime 24 h.
    const window = o.window ?? [at(-5 * 60_000), at(24 * HOUR)];
    const extensions = [
      keyUsage([KU.digitalSignature, KU.keyEncipherment, KU.dataEncipherment]),
      ...(format === 'rfc3820' ? [proxyCertInfo(limited ? Oid.pplLimited : Oid.pplInheritAll, o.pathLen)] : []),
      ...(format === 'draft' ? [proxyCertInfoDraft(limited ? Oid.pplLimited : Oid.pplInheritAll, o.pathLen)] : []),
      ...(o.acs && o.acs.length > 0 ? [acSeqExtension(o.acs)] : []),
    ];
    const certDer = certificate({
      serial,
      issuer: parent.issued.signer,
      subjectDer,
      publicKey: pair.publicKey,
      notBefore: window[0],
      notAfter: window[1],
      extensions,
    });
    return {
      issued: { signer: makeSigner(dn, pair, subjectDer), der: certDer, serial, notBefore: window[0], notAfter: window[1] },
      key: pair,
      chain: [parent.issued.der, ...parent.chain],
      depth: parent.depth + 1,
      limited: limited || parent.limited,
      policy: limited ? 'limited' : 'inheritAll',
      format,
      userName: parent.userName,
    };
  };

  interface AcDef {
    vo: 'atlas' | 'dteam';
    fqans: string[];
    holderEncoding?: 'classic' | 'rfc3281';
    window?: [Date, Date];
    signer?: 'voms' | 'rogue';
    expected?: string;
  }
  const acMeta: DevPkiAc[] = [];
  let acSerial = 1;
  const makeAcs = (userName: string, defs: AcDef[]): { ders: Buffer[]; meta: DevPkiAc[] } => {
    const holder = user(userName);
    const meta: DevPkiAc[] = [];
    const ders = defs.map((d) => {
      const signerCert = d.signer === 'rogue' ? rogue : voms;
      const hostName = d.signer === 'rogue' ? ROGUE_VOMS_HOST : VOMS_HOST;
      const port = VOS.find((v) => v.vo === d.vo)?.port ?? 15000;
      // ACs are not back-dated by voms-server; 12 h is its usual default lifetime.
      const window = d.window ?? [at(0), at(12 * HOUR)];
      const holderEncoding = d.holderEncoding ?? 'classic';
      meta.push({
        vo: d.vo,
        uri: `${d.vo}://${hostName}:${port}`,
        signer: signerCert.signer.dn.toSlash(),
        holderEncoding,
        fqans: d.fqans,
        notBefore: window[0].toISOString(),
        notAfter: window[1].toISOString(),
        expected: d.expected ?? 'valid',
      });
      return attributeCertificate({
        vo: d.vo,
        host: hostName,
        port,
        signer: signerCert.signer,
        signerCertDer: signerCert.der,
        holder: { subjectDer: holder.signer.nameDer, issuerDer: ca.signer.nameDer, serial: holder.serial },
        holderEncoding,
        fqans: d.fqans,
        notBefore: window[0],
        notAfter: window[1],
        serial: acSerial++,
        genericAttributes: userName === 'alice' ? [{ name: 'nickname', value: userName, qualifier: d.vo }] : [],
      });
    });
    acMeta.push(...meta);
    return { ders, meta };
  };

  const proxyEntries: Record<string, DevPkiProxy> = {};
  const writeProxy = (name: string, p: ProxyLink, expected: string, note: string, acs: readonly DevPkiAc[] = [], untrusted = false): ProxyLink => {
    const file = put(
      `${untrusted ? 'untrusted/proxies' : 'proxies'}/${name}.pem`,
      pem('CERTIFICATE', p.issued.der) + privateKeyPem(p.key.privateKey) + p.chain.map((c) => pem('CERTIFICATE', c)).join(''),
    );
    proxyEntries[name] = {
      file,
      subject: p.issued.signer.dn.toSlash(),
      identity: user(p.userName).signer.dn.toSlash(),
      user: p.userName,
      format: p.format,
      policy: p.policy,
      limited: p.limited,
      depth: p.depth,
      notBefore: p.issued.notBefore.toISOString(),
      notAfter: p.issued.notAfter.toISOString(),
      acs,
      expected,
      note,
    };
    return p;
  };

  const atlasLong = ['/atlas/Role=NULL/Capability=NULL', '/atlas/production/Role=NULL/Capability=NULL'];
  const alice = eecLink('alice');
  const aliceProxy = writeProxy('alice', await makeProxy(alice), 'valid', 'RFC 3820 impersonation proxy, no AC');
  writeProxy('alice-proxy2', await makeProxy(aliceProxy), 'valid', 'proxy of a proxy');
  writeProxy('alice-limited', await makeProxy(alice, { limited: true }), 'valid', 'RFC 3820 limited proxy');
  writeProxy('alice-legacy', await makeProxy(alice, { format: 'legacy' }), 'valid', 'legacy Globus proxy (CN=proxy)');
  writeProxy('alice-legacy-limited', await makeProxy(alice, { format: 'legacy', limited: true }), 'valid', 'legacy limited proxy (CN=limited proxy)');
  writeProxy('alice-draft', await makeProxy(alice, { format: 'draft', pathLen: 2 }), 'valid', 'draft (GT3) proxy, pathLen 2');
  writeProxy('alice-expired', await makeProxy(alice, { window: [at(-2 * DAY), at(-DAY)] }), 'CRED_PROXY_EXPIRED', 'proxy expired a day before now');
  writeProxy('bob', await makeProxy(eecLink('bob')), 'valid', 'plain proxy of bob');
  writeProxy('pilot', await makeProxy(eecLink('pilot')), 'valid', 'plain proxy of the pilot owner');
  writeProxy('revoked', await makeProxy(eecLink('revoked')), 'CRED_CERT_REVOKED', "proxy of a user listed in the CA's CRL");
  writeProxy('expired-user', await makeProxy(eecLink('expired')), 'CRED_CERT_EXPIRED', 'valid proxy of an expired user certificate');
  writeProxy('outsider', await makeProxy(eecLink('outsider')), 'CRED_NAMESPACE_NOT_PERMITTED', 'user DN outside the CA namespace');
  writeProxy('mallory', await makeProxy(eecLink('mallory')), 'CRED_CA_UNKNOWN', 'user of the untrusted CA', [], true);

  // VOMS proxies (credentials.md §6; FQANs in the long form voms-server writes).
  {
    const a = makeAcs('alice', [{ vo: 'atlas', fqans: atlasLong }]);
    const p = writeProxy('alice-voms', await makeProxy(alice, { acs: a.ders, pathLen: 1 }), 'valid', 'atlas AC, classic holder', a.meta);
    writeProxy('alice-voms-proxy2', await makeProxy(p), 'valid', 'proxy of alice-voms; the AC sits in level 1', a.meta);
  }
  {
    const a = makeAcs('alice', [{ vo: 'atlas', fqans: atlasLong, holderEncoding: 'rfc3281' }]);
    writeProxy('alice-voms-newformat', await makeProxy(alice, { acs: a.ders }), 'valid', 'atlas AC, RFC 3281 holder (newformat)', a.meta);
  }
  {
    const a = makeAcs('alice', [{ vo: 'atlas', fqans: atlasLong }]);
    writeProxy('alice-voms-limited', await makeProxy(alice, { acs: a.ders, limited: true }), 'valid', 'limited proxy carrying an atlas AC', a.meta);
  }
  {
    const a = makeAcs('alice', [{ vo: 'atlas', fqans: atlasLong, window: [at(-3 * DAY), at(-2 * DAY)], expected: 'CRED_AC_EXPIRED' }]);
    writeProxy('alice-ac-expired', await makeProxy(alice, { acs: a.ders }), 'valid', 'valid proxy, AC expired two days before now', a.meta);
  }
  {
    const a = makeAcs('alice', [{ vo: 'atlas', fqans: atlasLong, signer: 'rogue', expected: 'CRED_AC_SIGNER_UNKNOWN' }]);
    writeProxy('alice-voms-rogue', await makeProxy(alice, { acs: a.ders }), 'valid', 'AC signed by a VOMS host absent from the vomsdir', a.meta);
  }
  {
    const a = makeAcs('alice', [
      { vo: 'atlas', fqans: atlasLong },
      { vo: 'dteam', fqans: ['/dteam/Role=NULL/Capability=NULL'] },
    ]);
    writeProxy('alice-voms-two-vos', await makeProxy(alice, { acs: a.ders }), 'valid', 'two ACs: atlas then dteam', a.meta);
  }
  {
    const a = makeAcs('pilot', [{ vo: 'atlas', fqans: ['/atlas/Role=pilot/Capability=NULL', '/atlas/Role=NULL/Capability=NULL'] }]);
    writeProxy('pilot-voms', await makeProxy(eecLink('pilot'), { acs: a.ders }), 'valid', 'pilot job proxy, primary FQAN /atlas/Role=pilot', a.meta);
  }
  {
    const a = makeAcs('bob', [{ vo: 'dteam', fqans: ['/dteam/Role=NULL/Capability=NULL'] }]);
    writeProxy('bob-voms', await makeProxy(eecLink('bob'), { acs: a.ders }), 'valid', 'dteam AC', a.meta);
  }
  {
    // Alice's AC grafted onto Bob's proxy: the holder names another certificate (§6.3).
    const a = makeAcs('alice', [{ vo: 'atlas', fqans: atlasLong, expected: 'CRED_AC_HOLDER_MISMATCH' }]);
    writeProxy('bob-voms-stolen-ac', await makeProxy(eecLink('bob'), { acs: a.ders }), 'valid', "alice's AC inside bob's proxy", a.meta);
  }
  {
    const a = makeAcs('revoked', [{ vo: 'atlas', fqans: atlasLong }]);
    writeProxy('revoked-voms', await makeProxy(eecLink('revoked'), { acs: a.ders }), 'CRED_CERT_REVOKED', 'VOMS proxy of a revoked user', a.meta);
  }

  const caEntry: DevPkiCa = Object.assign(
    entity(ca, ca, `certificates/${hash}.0`, put('private/ca/cakey.pem', privateKeyPem(caKeys.privateKey))),
    { hash, oldHash, crlFile: `certificates/${hash}.r0` },
  );
  const untrustedEntry: DevPkiCa = Object.assign(
    entity(untrustedCa, untrustedCa, 'untrusted/ca/cacert.pem', put('untrusted/ca/cakey.pem', privateKeyPem(untrustedKeys.privateKey))),
    { hash: subjectHash(untrustedName), oldHash: subjectHashOld(untrustedName), crlFile: null },
  );

  const manifest: DevPkiManifest = {
    version: 1,
    generatedAt: new Date().toISOString(),
    now: now.toISOString(),
    caDir: 'certificates',
    vomsDir: 'vomsdir',
    ca: caEntry,
    untrustedCa: untrustedEntry,
    host: hostEntry,
    users: userEntries,
    proxies: proxyEntries,
    voms: vomsEntries,
  };

  // Replace only what we own, then write; the manifest goes last (atomically) so a reader never sees a
  // manifest that describes files not yet written.
  await rm(join(dir, MANIFEST), { force: true });
  await Promise.all(OWNED.map((p) => rm(join(dir, p), { recursive: true, force: true })));
  for (const [name, pair] of Object.entries(keys)) files.set(`private/keys/${name}.pem`, privateKeyPem(pair.privateKey));
  const dirs = new Set([...files.keys(), ...links.map((l) => l.path)].map((p) => join(dir, p, '..')));
  await Promise.all([...dirs].map((d) => mkdir(d, { recursive: true })));
  await Promise.all(
    [...files].map(([path, content]) => writeFile(join(dir, path), content, { mode: /key\.pem$|^proxies\/|^untrusted\/proxies\/|^private\//.test(path) ? 0o600 : 0o644 })),
  );
  await Promise.all(links.map((l) => symlink(l.target, join(dir, l.path)).catch(() => writeFile(join(dir, l.path), files.get(join('certificates', l.target)) ?? ''))));
  const tmp = join(dir, `${MANIFEST}.tmp`);
  await writeFile(tmp, JSON.stringify(manifest, null, 2) + '\n');
  await rename(tmp, join(dir, MANIFEST));
  return manifest;
}

const MANIFEST = 'manifest.json';
const KEY_NAMES = ['caKeys', 'hostKeys', 'vomsKeys', 'aliceKeys', 'pilotKeys', 'spareKeys'] as const;
type KeySet = Record<(typeof KEY_NAMES)[number], KeyPair>;

async function loadOrCreateKeys(dir: string): Promise<KeySet> {
  const entries = await Promise.all(
    KEY_NAMES.map(async (name): Promise<[string, KeyPair]> => {
      try {
        const privateKey = createPrivateKey(await readFile(join(dir, 'private', 'keys', `${name}.pem`)));
        if (privateKey.asymmetricKeyType === 'rsa') return [name, { privateKey, publicKey: createPublicKey(privateKey) }];
      } catch {
        // absent or unreadable: make a new one
      }
      return [name, await rsaKey()];
    }),
  );
  return Object.fromEntries(entries) as KeySet;
}
const OWNED = ['certificates', 'users', 'proxies', 'untrusted', 'voms', 'vomsdir', 'private', 'hostcert.pem', 'hostkey.pem'];

function entity(issued: Issued, issuer: Issued, certFile: string, keyFile: string) {
  return {
    subject: issued.signer.dn.toSlash(),
    issuer: issuer.signer.dn.toSlash(),
    serialHex: issued.serial.toString(16).toUpperCase(),
    certFile,
    keyFile,
    notBefore: issued.notBefore.toISOString(),
    notAfter: issued.notAfter.toISOString(),
  };
}

/** Reads dir/manifest.json; undefined when absent or not a manifest this version wrote. */
export async function loadDevPkiManifest(dir: string): Promise<DevPkiManifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && (parsed as { version?: unknown }).version === 1 && 'ca' in parsed && 'proxies' in parsed)
      return parsed as DevPkiManifest;
  } catch {
    // fall through: a corrupt manifest is treated as absent so the caller regenerates
  }
  return undefined;
}

/**
 * The manifest in `dir` if its proxies are still valid for at least `minRemainingMs` (default 1 h) at `now`,
 * else a freshly generated PKI. What `npm start` wants: reuse across restarts, regenerate when stale.
 */
export async function ensureDevPki(opts: DevPkiOptions & { minRemainingMs?: number }): Promise<DevPkiManifest> {
  const now = opts.now ?? new Date();
  const existing = await loadDevPkiManifest(opts.dir);
  const wantedHosts = opts.hostNames && opts.hostNames.length > 0 ? opts.hostNames : ['localhost'];
  if (
    existing &&
    Date.parse(existing.proxies['alice']?.notAfter ?? '') - now.getTime() >= (opts.minRemainingMs ?? HOUR) &&
    existing.users['officer'] !== undefined && // added later: an older ./var/pki lacks it

    Date.parse(existing.now) <= now.getTime() &&
    existing.host.dnsNames.join(',') === wantedHosts.join(',')
  )
    return existing;
  return generateDevPki({ dir: opts.dir, now, hostNames: opts.hostNames });
}
