import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dn } from '@gridauthz/domain';
import { acSeqExtension, attributeCertificate, PkiBuilder, VOMS_HOST } from '@gridauthz/dev-pki';
import { parseCertificate } from '@gridauthz/credentials';
import { decodeXacmlResponse, encodeXacmlQuery, type XacmlAnswer } from '@gridauthz/protocols';
import { loadIssued, makeCert, makeProxy, type Issued } from '../../libs/credentials/chain/craft.testkit';
import { addPrincipal, adminCall, ensureDevPoolsInDatabase } from '../admin/admin-support';
import { FIXTURE_PKI_DIR, fixturePki, proxyIdentity, userIdentity, type ClientIdentity } from '../support/fixtures';
import { httpsCall } from '../support/https-client';
import { askPdp } from '../support/pdp-client';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

/**
 * Issue 15 finding 1 (docs/identities.md): a certificate whose one OU value is "People/CN=Alice Atlas" prints, in
 * OpenSSL's slash form, exactly as Alice's DN. It must not be Alice anywhere: refused by default with
 * CRED_DN_AMBIGUOUS, and with trust.allowAmbiguousDns on, its own name (not Alice's admin role, not her account).
 */
const ALICE = '/DC=org/DC=gridauthz-dev/OU=People/CN=Alice Atlas';
// Our slash text: "\x2F" is a "/" inside the OU value, so this is DC, DC and one OU "People/CN=Alice Atlas".
const SPLICED = '/DC=org/DC=gridauthz-dev/OU=People\\x2FCN=Alice Atlas';

interface Spliced {
  readonly eec: Issued;
  /** TLS client identity: the certificate itself. */
  readonly tls: ClientIdentity;
  /** A proxy chain (PEM) of it carrying an /atlas VOMS AC signed by the dev VOMS server, as a payload. */
  readonly vomsProxyPem: string;
}

function makeSpliced(now: Date): Spliced {
  const m = fixturePki();
  const ca = loadIssued(FIXTURE_PKI_DIR, m.ca.certFile, m.ca.keyFile);
  const eec = makeCert(ca, SPLICED, now, { notAfter: new Date(now.getTime() + 2 * 86_400_000) });
  const voms = m.voms['atlas'];
  if (!voms) throw new Error('no atlas VOMS server in the fixture PKI');
  const signer = loadIssued(FIXTURE_PKI_DIR, voms.certFile, voms.keyFile);
  const ac = attributeCertificate({
    vo: 'atlas',
    host: VOMS_HOST,
    port: voms.port,
    signer: signer.signer,
    signerCertDer: signer.der,
    holder: { subjectDer: eec.signer.nameDer, issuerDer: ca.signer.nameDer, serial: BigInt(`0x${parseCertificate(eec.der).serialHex}`) },
    holderEncoding: 'classic',
    fqans: ['/atlas/Role=NULL/Capability=NULL'],
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 12 * 3600_000),
    serial: 9001,
  });
  const proxy = makeProxy(eec, now, { extensions: [acSeqExtension([ac])] });
  const pem = (der: Buffer): string => PkiBuilder.pem('CERTIFICATE', der);
  return {
    eec,
    tls: { cert: pem(eec.der), key: PkiBuilder.privateKeyPem(eec.signer.keys.privateKey) },
    vomsProxyPem: pem(proxy.der) + PkiBuilder.privateKeyPem(proxy.signer.keys.privateKey) + pem(eec.der),
  };
}

/**
 * The pilot asks, as glexec does, for a payload given by its proxy chain PEM. The subject-id sent beside the chain
 * is the chain's own name in our slash text, so only the chain decides here (a subject-id naming someone else is a
 * different refusal, of ambiguous requests).
 */
async function askPayload(t: TestServer, chainPem: string, subjectDn: string): Promise<{ status: number; answer?: XacmlAnswer }> {
  const query = encodeXacmlQuery({ dialect: 'authz-interop', subjectChainPem: chainPem, subjectDn, hostName: 'wn042.example.org', now: new Date(), idGenerator: randomUUID });
  const http = await httpsCall({ url: t.server.pdpUrl, method: 'POST', ca: t.ca, identity: proxyIdentity('pilot-voms'), body: query.body, headers: { soapaction: query.soapAction } });
  const decoded = decodeXacmlResponse(http.body, query.expect);
  return decoded.ok ? { status: http.status, answer: decoded.value } : { status: http.status };
}

describe(`spliced-DN certificates (${databaseLabel()})`, () => {
  let spliced: Spliced;
  beforeAll(() => {
    spliced = makeSpliced(new Date());
    // The premise: OpenSSL would print this certificate's name as Alice's DN.
    expect(spliced.eec.signer.dn.toOpenSslSlash()).toBe(ALICE);
    expect(fixturePki().users['alice']?.subject).toBe(ALICE);
  });

  describe('by default (trust.allowAmbiguousDns off)', () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer();
      const db = t.server.database();
      if (!db) throw new Error('no database');
      await ensureDevPoolsInDatabase(db);
      await addPrincipal(db, 'alice', 'security-officer');
    });
    afterAll(async () => t?.close());

    it('the admin API refuses it with CRED_DN_AMBIGUOUS, though Alice is a security officer', async () => {
      const res = await adminCall(t, { path: '/bans', identity: spliced.tls });
      expect(res.status).toBe(401);
      expect(res.json['code']).toBe('ADMIN_CREDENTIAL_INVALID');
      expect(String(res.json['detail'])).toMatch(/^CRED_DN_AMBIGUOUS: /);
      const write = await adminCall(t, { path: '/bans', method: 'POST', identity: spliced.tls, body: { kind: 'dn', value: '/DC=org/CN=Nobody', reason: 'test' } });
      expect(write.status).toBe(401);
      // Alice herself is still a security officer.
      expect((await adminCall(t, { path: '/bans', identity: userIdentity('alice') })).status).toBe(200);
    });

    it('the PDP refuses it as a caller with CRED_DN_AMBIGUOUS', async () => {
      const res = await httpsCall({ url: `${t.server.pdpUrl}/status`, ca: t.ca, identity: spliced.tls });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'CRED_DN_AMBIGUOUS' });
    });

    it('the PDP refuses it as a payload (no account), with its code recorded', async () => {
      const r = await askPayload(t, spliced.vomsProxyPem, SPLICED);
      expect(r.answer?.decision).not.toBe('Permit');
      expect(r.answer?.uid).toBeUndefined();
      const rows =
        (await t.server.database()?.dataSource.query<{ decision: string; reasons: string[]; username: string | null }[]>(
          `SELECT decision, reasons, username FROM decision_record ORDER BY decided_at DESC LIMIT 1`,
        )) ?? [];
      expect(rows[0]?.username).toBeNull();
      expect(JSON.stringify(rows[0]?.reasons)).toMatch(/CRED_DN_AMBIGUOUS/);
    });
  });

  describe('with trust.allowAmbiguousDns on', () => {
    let t: TestServer;
    beforeAll(async () => {
      const base = await startTestServer();
      const config = base.config;
      await base.close();
      t = await startTestServer({ config: { trust: { ...config.trust, allowAmbiguousDns: true } } });
      const db = t.server.database();
      if (!db) throw new Error('no database');
      await ensureDevPoolsInDatabase(db);
      await addPrincipal(db, 'alice', 'security-officer');
    });
    afterAll(async () => t?.close());

    it("is not Alice for the admin API: not her principal, so not her role", async () => {
      const res = await adminCall(t, { path: '/bans', identity: spliced.tls });
      expect(res.status).toBe(403);
      expect(res.json['code']).toBe('ADMIN_NOT_A_PRINCIPAL');
      expect(String(res.json['detail'])).toContain(SPLICED);
    });

    it("gets an account of its own, never Alice's lease", async () => {
      const alice = await askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });
      expect(alice.answer?.decision).toBe('Permit');
      const other = await askPayload(t, spliced.vomsProxyPem, SPLICED);
      expect(other.answer?.decision).toBe('Permit');
      expect(other.answer?.username).toMatch(/^atlas\d{3}$/);
      expect(other.answer?.uid).not.toBe(alice.answer?.uid);
      const keys =
        (await t.server.database()?.dataSource.query<{ subject_key: string; username: string }[]>(
          `SELECT l.subject_key, a.username FROM lease l JOIN pool_account a ON a.id = l.account_id WHERE l.released_at IS NULL ORDER BY l.id`,
        )) ?? [];
      const ofSpliced = keys.find((k) => k.username === other.answer?.username);
      expect(ofSpliced?.subject_key).toContain('%5cx2fcn%3dalice%20atlas');
      expect(keys.find((k) => k.username === alice.answer?.username)?.subject_key).toContain('%2fou%3dpeople%2fcn%3dalice%20atlas');
    });

    it('keeps its own name in the decision record', async () => {
      const rows = (await t.server.database()?.dataSource.query<{ subject_dn: string }[]>(`SELECT DISTINCT subject_dn FROM decision_record`)) ?? [];
      expect(rows.map((r) => r.subject_dn).sort()).toEqual([ALICE, SPLICED].sort());
      expect(Dn.parse(SPLICED).equals(spliced.eec.signer.dn)).toBe(true);
    });
  });
});
