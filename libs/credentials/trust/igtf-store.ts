import { watch as fsWatch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogSink } from '@gridauthz/domain';
import { pemBlocks } from '../pem';
import { parseCertificate } from '../x509/certificate';
import type { Certificate } from '../x509/certificate';
import { parseCrl } from '../x509/crl';
import type { Crl } from '../x509/crl';
import { parseNamespaces, parseSigningPolicy } from './policy-files';
import type { NamespaceRule, SigningPolicyEntry } from './policy-files';
import { assembleSnapshot, BROKEN, emptyVomsDir } from './snapshot';
import type { CaMaterial, LscFile, PolicyMaterial, TrustSnapshot, TrustSnapshotStats, VomsDirIndex } from './snapshot';
import { lscCompatibilityWarnings, parseLsc } from './vomsdir';

/** The port validation depends on: the current immutable snapshot, and a counter that moves on every reload. */
export interface TrustStore {
  readonly generation: number;
  current(): TrustSnapshot;
}

export class TrustStoreUnavailableError extends Error {
  override readonly name = 'TrustStoreUnavailableError';
  readonly code = 'CRED_TRUSTSTORE_UNAVAILABLE' as const;
}

export interface IgtfTrustStoreOptions {
  caDir: string;
  /** Absent or missing directory: every AC fails with CRED_AC_SIGNER_UNKNOWN (logged once per load). */
  vomsDir?: string;
  log: LogSink;
  /** Re-scan interval for the polling fallback; fs.watch events trigger earlier re-scans. Default 60 s. */
  pollIntervalMs?: number;
  /** Warn (once per CRL) when a CRL's nextUpdate is closer than this. Default 12 h (fetch-crl runs every 6 h). */
  crlWarningMarginMs?: number;
}

const CA_FILE = /^[0-9a-f]{8}\.[0-9]+$/;
const CRL_FILE = /^[0-9a-f]{8}\.r[0-9]+$/;
const SIGNING_POLICY_FILE = /^([0-9a-f]{8})\.signing_policy$/;
const NAMESPACES_FILE = /^([0-9a-f]{8})\.namespaces$/;

/**
 * Trust directory in IGTF layout plus vomsdir (credentials.md §5, §6.5). Reloads build a complete new
 * snapshot and swap it in, so requests in flight keep the one they started with (§5.2, §9.9).
 */
export class IgtfTrustStore implements TrustStore {
  private snapshot: TrustSnapshot;
  private stamp: string;
  private reloading: Promise<boolean> | undefined;
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(snapshot: TrustSnapshot) => void>();
  private readonly warnedCrls = new Set<string>();

  private constructor(
    private readonly opts: IgtfTrustStoreOptions,
    snapshot: TrustSnapshot,
    stamp: string,
  ) {
    this.snapshot = snapshot;
    this.stamp = stamp;
  }

  /** Loads both directories; rejects with TrustStoreUnavailableError when the trust directory is unreadable. */
  static async open(opts: IgtfTrustStoreOptions): Promise<IgtfTrustStore> {
    const stamp = await directoryStamp(opts.caDir, opts.vomsDir);
    const snapshot = await loadSnapshot(opts, 1);
    const store = new IgtfTrustStore(opts, snapshot, stamp);
    store.warnStaleCrls(new Date());
    return store;
  }

  /** Logs each CRL close to (or past) its nextUpdate once; runs at open and on every poll. */
  warnStaleCrls(now: Date): void {
    for (const stale of this.snapshot.staleCrls(now, this.opts.crlWarningMarginMs ?? 12 * 3600_000)) {
      if (this.warnedCrls.has(stale.fingerprint)) continue;
      this.warnedCrls.add(stale.fingerprint);
      this.opts.log.warn({ ca: stale.ca, nextUpdate: stale.nextUpdate.toISOString() }, 'CRL close to or past nextUpdate: is fetch-crl running?');
    }
  }

  get generation(): number {
    return this.snapshot.generation;
  }

  current(): TrustSnapshot {
    return this.snapshot;
  }

  anchorsPem(): string[] {
    return this.snapshot.anchorsPem();
  }

  stats(now: Date = new Date()): TrustSnapshotStats {
    return this.snapshot.stats(now);
  }

  /**
   * Re-scans when any file name, size, mtime or link target changed; resolves true when a new snapshot was
   * swapped in. Never rejects: a failed reload is logged and the previous snapshot stays.
   */
  reloadIfChanged(): Promise<boolean> {
    this.reloading ??= this.doReload().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private async doReload(): Promise<boolean> {
    try {
      const stamp = await directoryStamp(this.opts.caDir, this.opts.vomsDir);
      if (stamp === this.stamp) return false;
      const next = await loadSnapshot(this.opts, this.snapshot.generation + 1);
      this.snapshot = next;
      this.stamp = stamp;
      for (const listener of this.listeners) {
        try {
          listener(next);
        } catch (e) {
          this.opts.log.error({ err: (e as Error).message }, 'trust store change listener failed');
        }
      }
      this.opts.log.info({ generation: next.generation, cas: next.cas.length, crls: next.stats().crlCount }, 'trust store reloaded');
      return true;
    } catch (e) {
      this.opts.log.error({ err: (e as Error).message, caDir: this.opts.caDir }, 'trust store reload failed; keeping the previous snapshot');
      return false;
    }
  }

  /** Calls `listener` after each reload that swapped in a new snapshot (e.g. to refresh the TLS `ca` list). */
  onChange(listener: (snapshot: TrustSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Starts fs.watch on both directories (and VO subdirectories) plus interval polling, which also covers NFS. */
  watch(): void {
    if (this.timer) return;
    const poll = this.opts.pollIntervalMs ?? 60_000;
    this.timer = setInterval(() => void this.reloadIfChanged().then(() => this.warnStaleCrls(new Date())), poll);
    this.timer.unref();
    void this.rewatch();
  }

  private async rewatch(): Promise<void> {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    const dirs = [this.opts.caDir];
    if (this.opts.vomsDir) {
      dirs.push(this.opts.vomsDir);
      try {
        for (const e of await readdir(this.opts.vomsDir, { withFileTypes: true })) if (e.isDirectory()) dirs.push(join(this.opts.vomsDir, e.name));
      } catch {
        // missing vomsdir: polling notices when it appears
      }
    }
    if (!this.timer) return; // closed meanwhile
    for (const dir of dirs) {
      try {
        const w = fsWatch(dir, { persistent: false }, () => this.onFsEvent());
        w.on('error', (err) => this.opts.log.warn({ dir, err: err.message }, 'fs.watch failed; relying on polling'));
        this.watchers.push(w);
      } catch (e) {
        this.opts.log.warn({ dir, err: (e as Error).message }, 'fs.watch unavailable; relying on polling');
      }
    }
  }

  // fetch-crl writes a temporary file and renames it: coalesce the burst of events into one re-scan.
  private onFsEvent(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.reloadIfChanged().then((changed) => (changed ? this.rewatch() : undefined));
    }, 200);
    this.debounce.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    this.timer = undefined;
    this.debounce = undefined;
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }
}

/** Names, sizes, mtimes and link targets of everything we read: changes when any input changes. */
async function directoryStamp(caDir: string, vomsDir: string | undefined): Promise<string> {
  const parts: string[] = [];
  const scan = async (dir: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const path = join(dir, e.name);
      try {
        const l = await lstat(path);
        const s = l.isSymbolicLink() ? await stat(path) : l;
        parts.push(`${path}:${l.mtimeMs}:${s.mtimeMs}:${s.size}:${s.ino}`);
        if (s.isDirectory() && depth > 0) await scan(path, depth - 1);
      } catch {
        parts.push(`${path}:unreadable`);
      }
    }
  };
  try {
    await scan(caDir, 0);
  } catch (e) {
    throw new TrustStoreUnavailableError(`trust directory ${caDir} unreadable: ${(e as Error).message}`);
  }
  if (vomsDir) await scan(vomsDir, 1).catch(() => parts.push(`${vomsDir}:missing`));
  return parts.join('\n');
}

function certificatesIn(data: Buffer): Certificate[] {
  const text = data.toString('latin1');
  if (text.includes('-----BEGIN')) {
    return pemBlocks(text)
      .filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE' || b.label === 'X509 CERTIFICATE')
      .map((b) => parseCertificate(b.der));
  }
  return [parseCertificate(data)]; // DER fallback (§5.1)
}

async function loadSnapshot(opts: IgtfTrustStoreOptions, generation: number): Promise<TrustSnapshot> {
  const { caDir, log } = opts;
  let names: string[];
  try {
    names = (await readdir(caDir)).sort();
  } catch (e) {
    throw new TrustStoreUnavailableError(`trust directory ${caDir} unreadable: ${(e as Error).message}`);
  }
  const cas: CaMaterial[] = [];
  const crls: { crl: Crl; file: string }[] = [];
  const brokenCrlFiles: string[] = [];
  const brokenFiles: string[] = [];
  const signingPolicies = new Map<string, PolicyMaterial<SigningPolicyEntry[]>>();
  const namespaces = new Map<string, PolicyMaterial<NamespaceRule[]>>();
  const broken = (file: string, e: unknown, what: string): void => {
    brokenFiles.push(file);
    log.warn({ file, err: (e as Error).message }, `skipping unreadable ${what}`);
  };
  await Promise.all(
    names.map(async (name) => {
      const file = join(caDir, name);
      const kind = CA_FILE.test(name) ? 'ca' : CRL_FILE.test(name) ? 'crl' : SIGNING_POLICY_FILE.test(name) ? 'sp' : NAMESPACES_FILE.test(name) ? 'ns' : undefined;
      if (!kind) return;
      let data: Buffer;
      try {
        data = await readFile(file);
      } catch (e) {
        if (kind === 'crl') brokenCrlFiles.push(file);
        broken(file, e, 'file');
        return;
      }
      try {
        if (kind === 'ca') {
          for (const cert of certificatesIn(data)) cas.push({ cert, source: file });
        } else if (kind === 'crl') {
          const text = data.toString('latin1');
          const ders = text.includes('-----BEGIN') ? pemBlocks(text).filter((b) => b.label === 'X509 CRL').map((b) => b.der) : [data];
          if (ders.length === 0) throw new Error('no X509 CRL block');
          for (const der of ders) crls.push({ crl: parseCrl(der), file });
        } else if (kind === 'sp') {
          signingPolicies.set(name.slice(0, 8), { value: parseSigningPolicy(data.toString('utf8')), file });
        } else {
          namespaces.set(name.slice(0, 8), { value: parseNamespaces(data.toString('utf8')), file });
        }
      } catch (e) {
        broken(file, e, kind === 'ca' ? 'CA certificate' : kind === 'crl' ? 'CRL' : 'policy file');
        if (kind === 'crl') brokenCrlFiles.push(file);
        // A policy file we cannot read must not silently mean "no policy" (§5.1): it denies everything.
        if (kind === 'sp') signingPolicies.set(name.slice(0, 8), { value: BROKEN, file });
        if (kind === 'ns') namespaces.set(name.slice(0, 8), { value: BROKEN, file });
      }
    }),
  );
  // Deterministic order regardless of read completion order.
  cas.sort((a, b) => a.source.localeCompare(b.source));
  crls.sort((a, b) => a.file.localeCompare(b.file));
  if (cas.length === 0) log.warn({ caDir }, 'trust directory holds no CA certificates');
  const voms = await loadVomsDir(opts, brokenFiles);
  const snapshot = assembleSnapshot({ cas, crls, brokenCrlFiles, signingPolicies, namespaces, voms, generation, loadedAt: new Date(), brokenFiles });
  // §5.6: say once per load which CAs have no namespace policy at all (their subjects are then unrestricted).
  for (const ca of snapshot.cas)
    if (ca.signingPolicy === undefined && ca.namespaces === undefined) log.info({ ca: ca.cert.subject.dn?.toSlash(), file: ca.source }, 'CA without .signing_policy or .namespaces');
  return snapshot;
}

async function loadVomsDir(opts: IgtfTrustStoreOptions, brokenFiles: string[]): Promise<VomsDirIndex> {
  const { vomsDir, log } = opts;
  if (!vomsDir) return emptyVomsDir;
  let entries;
  try {
    entries = await readdir(vomsDir, { withFileTypes: true });
  } catch (e) {
    log.warn({ vomsDir, code: 'CRED_VOMSDIR_UNAVAILABLE', err: (e as Error).message }, 'vomsdir missing: every VOMS AC will be rejected');
    return emptyVomsDir;
  }
  const lscs = new Map<string, LscFile>();
  const certsByVo = new Map<string, Certificate[]>();
  const rootCerts: Certificate[] = [];
  const readCerts = async (file: string, into: Certificate[]): Promise<void> => {
    try {
      into.push(...certificatesIn(await readFile(file)));
    } catch (e) {
      brokenFiles.push(file);
      log.warn({ file, err: (e as Error).message }, 'skipping unreadable vomsdir file');
    }
  };
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const path = join(vomsDir, e.name);
    const isDir = e.isDirectory() || (e.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isDirectory() === true);
    if (isDir) {
      const voCerts: Certificate[] = [];
      for (const f of (await readdir(path).catch(() => [] as string[])).sort()) {
        if (f.startsWith('.')) continue;
        const file = join(path, f);
        if (f.endsWith('.lsc')) {
          try {
            const text = await readFile(file, 'utf8');
            lscs.set(`${e.name}/${f.slice(0, -4)}`, { file, chains: parseLsc(text) });
            for (const w of lscCompatibilityWarnings(text)) log.info({ file }, `.lsc: ${w}`);
          } catch (err) {
            brokenFiles.push(file);
            log.warn({ file, err: (err as Error).message }, 'skipping unreadable .lsc file');
          }
        } else {
          await readCerts(file, voCerts);
        }
      }
      certsByVo.set(e.name, voCerts);
    } else if (!e.name.endsWith('.lsc')) {
      await readCerts(path, rootCerts);
    }
  }
  return {
    available: true,
    lsc: (vo, host) => lscs.get(`${vo}/${host.toLowerCase()}`) ?? lscs.get(`${vo}/${host}`),
    certificates: (vo) => [...(certsByVo.get(vo) ?? []), ...rootCerts],
  };
}
