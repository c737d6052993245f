import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '@gridauthz/domain';
import type { LogSink } from '@gridauthz/domain';
import { generateDevPki, PkiBuilder } from '@gridauthz/dev-pki';
import type { DevPkiManifest } from '@gridauthz/dev-pki';
import { IgtfTrustStore, parsePemChain, TrustStoreUnavailableError, validateChain } from '@gridauthz/credentials';
import type { CredResult, ValidatedCredential } from '@gridauthz/credentials';
import { fixtures } from '../chain/craft.testkit';
import type { Issued } from '../chain/craft.testkit';

const code = (r: CredResult<ValidatedCredential>): string => (r.ok ? 'valid' : r.error.code);

function recorder(): LogSink & { lines: { level: string; fields: object; message: string }[] } {
  const lines: { level: string; fields: object; message: string }[] = [];
  const at = (level: string) => (fields: object, message: string) => void lines.push({ level, fields, message });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('IgtfTrustStore', () => {
  let base: string;
  let m: DevPkiManifest;
  let now: Date;
  let ca: Issued;
  let counter = 0;

  /** A private copy of the PKI's trust directory and vomsdir that a test may modify. */
  const copy = (): { caDir: string; vomsDir: string } => {
    const d = join(base, `copy-${counter++}`);
    cpSync(join(base, 'pki', m.caDir), join(d, 'certificates'), { recursive: true, verbatimSymlinks: true });
    cpSync(join(base, 'pki', m.vomsDir), join(d, 'vomsdir'), { recursive: true });
    return { caDir: join(d, 'certificates'), vomsDir: join(d, 'vomsdir') };
  };
  const chain = (name: string): Buffer[] => {
    const r = parsePemChain(readFileSync(join(base, 'pki', m.proxies[name]?.file ?? ''), 'utf8'));
    if (!r.ok) throw new Error(r.error.detail);
    return r.value;
  };
  const crlPem = (o: { thisUpdate?: number; nextUpdate?: number; revoked?: bigint[]; signer?: Issued }): string =>
    PkiBuilder.pem(
      'X509 CRL',
      PkiBuilder.crl(
        (o.signer ?? ca).signer,
        new Date(now.getTime() + (o.thisUpdate ?? -3600_000)),
        new Date(now.getTime() + (o.nextUpdate ?? 86_400_000)),
        (o.revoked ?? []).map((serial) => ({ serial, date: new Date(now.getTime() - 60_000) })),
        7,
      ),
    );

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'cred-store-'));
    m = await generateDevPki({ dir: join(base, 'pki') });
    now = new Date(Date.parse(m.now) + 60_000);
    ({ ca } = fixtures(join(base, 'pki'), m));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('loads the CA once although it is linked under both hashes, with its CRL and stats (§5.1)', async () => {
    const store = await IgtfTrustStore.open({ ...copy(), log: silentLog });
    const stats = store.stats(now);
    expect(stats).toMatchObject({ generation: 1, caCount: 1, crlCount: 1, brokenFiles: 0 });
    // thisUpdate is one hour before generation time (whole seconds), `now` one minute after it.
    expect(stats.newestCrlAgeSeconds).toBeGreaterThanOrEqual(3660);
    expect(stats.newestCrlAgeSeconds).toBeLessThanOrEqual(3661);
    expect(store.anchorsPem()).toHaveLength(1);
    expect(store.anchorsPem()[0]).toBe(readFileSync(join(base, 'pki', m.ca.certFile), 'utf8'));
    const ca0 = store.current().cas[0];
    expect(ca0).toMatchObject({ hash: m.ca.hash, oldHash: m.ca.oldHash });
    expect(ca0?.signingPolicy).toHaveLength(1);
    expect(ca0?.namespaces).toHaveLength(1);
  });

  it('refuses to open a missing trust directory with CRED_TRUSTSTORE_UNAVAILABLE (§5.1)', async () => {
    const err = await IgtfTrustStore.open({ caDir: join(base, 'nope'), log: silentLog }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrustStoreUnavailableError);
    expect((err as TrustStoreUnavailableError).code).toBe('CRED_TRUSTSTORE_UNAVAILABLE');
  });

  it('logs and skips broken files, and keeps validating with the rest (§5.1)', async () => {
    const dirs = copy();
    writeFileSync(join(dirs.caDir, 'deadbeef.0'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    writeFileSync(join(dirs.caDir, '0badc0de.0'), 'not a certificate at all');
    writeFileSync(join(dirs.caDir, 'deadbeef.r0'), 'garbage');
    writeFileSync(join(dirs.caDir, 'README.txt'), 'ignored: not a hash name');
    const log = recorder();
    const store = await IgtfTrustStore.open({ ...dirs, log });
    expect(store.stats(now)).toMatchObject({ caCount: 1, brokenFiles: 3 });
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => (l.fields as { file: string }).file).sort()).toEqual(
      [join(dirs.caDir, '0badc0de.0'), join(dirs.caDir, 'deadbeef.0'), join(dirs.caDir, 'deadbeef.r0')].sort(),
    );
    expect(code(validateChain(chain('alice'), store, { now }))).toBe('valid');
  });

  it('finds a CA linked under its old hash only (§9.11) and reads DER files (§5.1)', async () => {
    const dirs = copy();
    const der = parsePemChain(readFileSync(join(dirs.caDir, `${m.ca.hash}.0`), 'utf8'));
    for (const f of [`${m.ca.hash}.0`, `${m.ca.oldHash}.0`]) unlinkSync(join(dirs.caDir, f));
    writeFileSync(join(dirs.caDir, `${m.ca.oldHash}.0`), der.ok ? (der.value[0] as Buffer) : Buffer.alloc(0));
    const store = await IgtfTrustStore.open({ ...dirs, log: silentLog });
    expect(store.stats(now).caCount).toBe(1);
    expect(code(validateChain(chain('alice'), store, { now }))).toBe('valid');
    expect(code(validateChain(chain('revoked'), store, { now }))).toBe('CRED_CERT_REVOKED');
  });

  describe('CRLs (§5.3)', () => {
    const withCrl = async (content: string | undefined, mode?: 'if-valid' | 'require' | 'ignore', name = 'alice'): Promise<string> => {
      const dirs = copy();
      const crlFile = join(dirs.caDir, `${m.ca.hash}.r0`);
      unlinkSync(crlFile);
      if (content !== undefined) writeFileSync(crlFile, content);
      else unlinkSync(join(dirs.caDir, `${m.ca.oldHash}.r0`)); // the old-hash link would dangle
      const store = await IgtfTrustStore.open({ ...dirs, log: silentLog });
      return code(validateChain(chain(name), store, { now, ...(mode ? { crl: mode } : {}) }));
    };

    it('an expired CRL is CRED_CRL_EXPIRED in if-valid mode, ignored in ignore mode', async () => {
      expect(await withCrl(crlPem({ thisUpdate: -2 * 86_400_000, nextUpdate: -60_000 }))).toBe('CRED_CRL_EXPIRED');
      expect(await withCrl(crlPem({ thisUpdate: -2 * 86_400_000, nextUpdate: -60_000 }), 'ignore')).toBe('valid');
    });

    it('warns once about a CRL close to nextUpdate (fetch-crl stuck)', async () => {
      const dirs = copy();
      writeFileSync(join(dirs.caDir, `${m.ca.hash}.r0`), crlPem({ nextUpdate: 3600_000 }));
      const log = recorder();
      const store = await IgtfTrustStore.open({ ...dirs, log });
      store.warnStaleCrls(new Date());
      const warnings = log.lines.filter((l) => l.message.startsWith('CRL close to'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.fields).toMatchObject({ ca: m.ca.subject });
      expect(store.current().staleCrls(now, 60_000)).toEqual([]);
      expect(store.stats(now).earliestCrlNextUpdate?.getTime()).toBe(Math.floor((now.getTime() + 3600_000) / 1000) * 1000);
    });

    it('a CRL from the future is CRED_CRL_INVALID', async () => {
      expect(await withCrl(crlPem({ thisUpdate: 3600_000 }))).toBe('CRED_CRL_INVALID');
    });

    it('an unparsable CRL is CRED_CRL_INVALID, not "no CRL"', async () => {
      expect(await withCrl('-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n')).toBe('CRED_CRL_INVALID');
    });

    it('a CRL signed by another key is CRED_CRL_INVALID', async () => {
      const { alice } = fixtures(join(base, 'pki'), m);
      const forged = { ...alice, signer: { ...alice.signer, dn: ca.signer.dn, nameDer: ca.signer.nameDer } };
      expect(await withCrl(crlPem({ signer: forged }))).toBe('CRED_CRL_INVALID');
    });

    it('no CRL passes in if-valid mode and is CRED_CRL_MISSING in require mode', async () => {
      expect(await withCrl(undefined)).toBe('valid');
      expect(await withCrl(undefined, 'require')).toBe('CRED_CRL_MISSING');
    });

    it('a dangling .r0 link counts as an unreadable CRL (fail closed), not as "no CRL"', async () => {
      const dirs = copy();
      unlinkSync(join(dirs.caDir, `${m.ca.hash}.r0`));
      const store = await IgtfTrustStore.open({ ...dirs, log: silentLog });
      expect(code(validateChain(chain('alice'), store, { now }))).toBe('CRED_CRL_INVALID');
    });

    it('a fresh CRL listing the user is CRED_CERT_REVOKED', async () => {
      expect(await withCrl(crlPem({ revoked: [0x1004n] }))).toBe('CRED_CERT_REVOKED');
      expect(await withCrl(crlPem({ revoked: [0x1004n] }), undefined, 'bob')).toBe('valid');
    });
  });

  describe('policy files (§5.4–§5.6)', () => {
    it('a broken .namespaces denies instead of meaning "no policy"', async () => {
      const dirs = copy();
      unlinkSync(join(dirs.caDir, `${m.ca.hash}.namespaces`));
      unlinkSync(join(dirs.caDir, `${m.ca.oldHash}.namespaces`));
      writeFileSync(join(dirs.caDir, `${m.ca.hash}.namespaces`), 'TO Issuer "unterminated');
      const log = recorder();
      const store = await IgtfTrustStore.open({ ...dirs, log });
      expect(code(validateChain(chain('alice'), store, { now }))).toBe('CRED_NAMESPACE_NOT_PERMITTED');
      expect(log.lines.some((l) => l.level === 'warn')).toBe(true);
    });

    it('a DENY rule wins over a PERMIT (CRED_NAMESPACE_DENIED); GLOBUS mode ignores .namespaces', async () => {
      const dirs = copy();
      const file = join(dirs.caDir, 'gridauthz-dev-ca.namespaces');
      writeFileSync(
        file,
        `${readFileSync(file, 'utf8')}\nTO Issuer "${m.ca.subject}" \\\n  DENY Subject "/DC=org/DC=gridauthz-dev/OU=People/CN=Alice.*"\n`,
      );
      const store = await IgtfTrustStore.open({ ...dirs, log: silentLog });
      expect(code(validateChain(chain('alice'), store, { now }))).toBe('CRED_NAMESPACE_DENIED');
      expect(code(validateChain(chain('bob'), store, { now }))).toBe('valid');
      expect(code(validateChain(chain('alice'), store, { now, namespaces: 'GLOBUS' }))).toBe('valid');
    });

    it('without any policy file the default mode passes and a _REQUIRE mode fails (§5.6)', async () => {
      const dirs = copy();
      for (const f of ['gridauthz-dev-ca.namespaces', 'gridauthz-dev-ca.signing_policy']) unlinkSync(join(dirs.caDir, f));
      const store = await IgtfTrustStore.open({ ...dirs, log: silentLog });
      expect(code(validateChain(chain('outsider'), store, { now }))).toBe('valid');
      expect(code(validateChain(chain('alice'), store, { now, namespaces: 'GLOBUS_EUGRIDPMA_REQUIRE' }))).toBe('CRED_NAMESPACE_UNDEFINED');
    });
  });

  describe('reload (§5.2, §9.9)', () => {
    it('reloadIfChanged swaps in a new snapshot; a validation holding the old one is unaffected', async () => {
      const dirs = copy();
      const store = await IgtfTrustStore.open({ ...dirs, log: silentLog });
      expect(await store.reloadIfChanged()).toBe(false);
      expect(store.generation).toBe(1);
      const before = store.current();
      const seen: number[] = [];
      store.onChange((snapshot) => seen.push(snapshot.generation));
      // fetch-crl style: write a temporary file, then rename over the CRL.
      const tmp = join(dirs.caDir, 'crl.tmp');
      writeFileSync(tmp, crlPem({ revoked: [0x1004n, 0x1007n] }));
      renameSync(tmp, join(dirs.caDir, `${m.ca.hash}.r0`));
      expect(await store.reloadIfChanged()).toBe(true);
      expect(store.generation).toBe(2);
      expect(seen).toEqual([2]);
      expect(code(validateChain(chain('alice'), store, { now }))).toBe('CRED_CERT_REVOKED');
      expect(code(validateChain(chain('alice'), before, { now }))).toBe('valid');
    });

    it('a reload that finds the directory gone keeps the previous snapshot and logs an error', async () => {
      const dirs = copy();
      const log = recorder();
      const store = await IgtfTrustStore.open({ ...dirs, log });
      rmSync(dirs.caDir, { recursive: true });
      expect(await store.reloadIfChanged()).toBe(false);
      expect(store.generation).toBe(1);
      expect(code(validateChain(chain('alice'), store, { now }))).toBe('valid');
      expect(log.lines.some((l) => l.level === 'error')).toBe(true);
    });

    it('watch() notices a rewritten CRL without being asked', async () => {
      const dirs = copy();
      const store = await IgtfTrustStore.open({ ...dirs, log: silentLog, pollIntervalMs: 250 });
      store.watch();
      try {
        writeFileSync(join(dirs.caDir, `${m.ca.hash}.r0`), crlPem({ revoked: [0x1005n] }));
        const deadline = Date.now() + 5000;
        while (store.generation === 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(store.generation).toBe(2);
        expect(code(validateChain(chain('bob'), store, { now }))).toBe('CRED_CERT_REVOKED');
      } finally {
        store.close();
      }
    });
  });

  describe('vomsdir (§6.5)', () => {
    const acResult = async (setup: (vomsDir: string) => void, name = 'alice-voms'): Promise<string[]> => {
      const dirs = copy();
      rmSync(dirs.vomsDir, { recursive: true });
      mkdirSync(dirs.vomsDir);
      setup(dirs.vomsDir);
      const store = await IgtfTrustStore.open({ ...dirs, log: silentLog });
      const r = validateChain(chain(name), store, { now });
      if (!r.ok) throw new Error(r.error.code);
      return r.value.voms.acs.length === 1 ? ['valid'] : r.value.voms.rejected.map((x) => x.code);
    };
    const vomsDn = (): string => m.voms['atlas']?.subject ?? '';
    const vomsPem = (): string => readFileSync(join(base, 'pki', m.voms['atlas']?.certFile ?? ''), 'utf8');
    const lsc = (dir: string, vo: string, text: string): void => {
      mkdirSync(join(dir, vo), { recursive: true });
      writeFileSync(join(dir, vo, 'voms.gridauthz-dev.org.lsc'), text);
    };

    it.each([
      ['the standard two-line .lsc', (d: string) => lsc(d, 'atlas', `${vomsDn()}\n${m.ca.subject}\n`), 'valid'],
      ['a wrong first chain, C separator, right chain', (d: string) => lsc(d, 'atlas', `/CN=wrong\n/CN=wrong ca\n------ NEXT CHAIN ------\n${vomsDn()}\n${m.ca.subject}\n`), 'valid'],
      ['the Java separator spelling', (d: string) => lsc(d, 'atlas', `/CN=wrong\n/CN=wrong ca\n------NEXT CHAIN------\n${vomsDn()}\n${m.ca.subject}\n`), 'valid'],
      ['quoted, indented DNs, comments, blank lines, CRLF', (d: string) => lsc(d, 'atlas', `# host\r\n\r\n  "${vomsDn()}"\r\n\t"${m.ca.subject}"\r\n`), 'valid'],
      ['DNs in another case and with E= alias tolerance', (d: string) => lsc(d, 'atlas', `${vomsDn().toUpperCase()}\n${m.ca.subject}\n`), 'valid'],
      ['only the host DN line', (d: string) => lsc(d, 'atlas', `${vomsDn()}\n`), 'CRED_AC_LSC_MISMATCH'],
      ['a wrong DN, even with the host certificate beside it', (d: string) => {
        lsc(d, 'atlas', `/CN=somebody else\n${m.ca.subject}\n`);
        writeFileSync(join(d, 'atlas', 'voms.pem'), vomsPem());
      }, 'CRED_AC_LSC_MISMATCH'],
      ['no .lsc, host certificate in atlas/', (d: string) => {
        mkdirSync(join(d, 'atlas'));
        writeFileSync(join(d, 'atlas', 'anything.crt'), vomsPem());
      }, 'valid'],
      ['no .lsc, host certificate in the vomsdir root', (d: string) => writeFileSync(join(d, 'voms.pem'), vomsPem()), 'valid'],
      ['.lsc under dteam/ instead of atlas/', (d: string) => lsc(d, 'dteam', `${vomsDn()}\n${m.ca.subject}\n`), 'CRED_AC_SIGNER_UNKNOWN'],
      ['an empty atlas/ directory', (d: string) => mkdirSync(join(d, 'atlas')), 'CRED_AC_SIGNER_UNKNOWN'],
    ])('%s → %s', async (_label, setup, expected) => {
      expect(await acResult(setup)).toEqual([expected]);
    });

    it('a missing vomsdir rejects every AC with CRED_AC_SIGNER_UNKNOWN and is logged (§6.5)', async () => {
      const dirs = copy();
      rmSync(dirs.vomsDir, { recursive: true });
      const log = recorder();
      const store = await IgtfTrustStore.open({ ...dirs, log });
      const r = validateChain(chain('alice-voms'), store, { now });
      expect(r.ok && r.value.voms.rejected.map((x) => x.code)).toEqual(['CRED_AC_SIGNER_UNKNOWN']);
      expect(log.lines.some((l) => (l.fields as { code?: string }).code === 'CRED_VOMSDIR_UNAVAILABLE')).toBe(true);
    });

    it('a revoked VOMS host certificate makes its ACs CRED_AC_SIGNER_UNTRUSTED (§6.4 step 8)', async () => {
      const dirs = copy();
      writeFileSync(join(dirs.caDir, `${m.ca.hash}.r0`), crlPem({ revoked: [0x1002n] }));
      const store = await IgtfTrustStore.open({ ...dirs, log: silentLog });
      const r = validateChain(chain('alice-voms'), store, { now });
      expect(r.ok && r.value.voms.rejected.map((x) => x.code)).toEqual(['CRED_AC_SIGNER_UNTRUSTED']);
    });
  });
});
