import { link, lstat, mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Checked } from '../problem';
import { importGridmapdir, planGridmapdirExport, type GridmapdirEntry, type GridmapdirExportInput, type GridmapdirImport, type GridmapdirImportOptions } from './gridmapdir';

/** lstat of every name in a gridmapdir; the only file-system read of the import. */
export async function readGridmapdirEntries(dir: string): Promise<GridmapdirEntry[]> {
  const names = await readdir(dir);
  return Promise.all(
    names.map(async (name) => {
      const st = await lstat(join(dir, name), { bigint: true });
      return { name, ino: st.ino, nlink: Number(st.nlink), isFile: st.isFile(), mtime: new Date(Number(st.mtimeMs)) };
    }),
  );
}

export async function importGridmapdirFromDisk(dir: string, options: GridmapdirImportOptions = {}): Promise<Checked<GridmapdirImport, 'MAPPING_IMPORT_INVALID'>> {
  return importGridmapdir(await readGridmapdirEntries(dir), options);
}

/**
 * Writes a gridmapdir into `dir`, which must not exist yet: writing over a live, NFS-shared directory would race
 * LCMAPS, so callers write a fresh one and swap it in (rename) while services are quiesced.
 * Account files are empty, mode 0644; each lease is a hard link to its account; mtimes are the last-used times.
 */
export async function exportGridmapdirToDisk(
  dir: string,
  input: GridmapdirExportInput,
  options: { readonly argusReaders?: boolean } = {},
): Promise<Checked<{ readonly written: number }, 'MAPPING_EXPORT_INVALID'>> {
  const plan = planGridmapdirExport(input, options);
  if (!plan.ok) return plan;
  await mkdir(dir, { mode: 0o755 });
  for (const account of plan.value.accounts) await writeFile(join(dir, account), '', { mode: 0o644, flag: 'wx' });
  for (const l of plan.value.links) {
    await link(join(dir, l.account), join(dir, l.name));
    // Lease and account share an inode, so this sets the last-used time LCMAPS and the expiry cron read.
    await utimes(join(dir, l.name), l.mtime, l.mtime);
  }
  return { ok: true, value: { written: plan.value.accounts.length + plan.value.links.length } };
}
