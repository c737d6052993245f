import { generateDevPki } from '@gridauthz/dev-pki';
import { FIXTURE_PKI_DIR } from './support/fixtures';
import { ensurePgliteTemplate } from './support/pglite-template';

/** Runs once before all test files: the test PKI (fresh each run, proxies are short-lived) and the PGlite template. */
export async function setup(): Promise<void> {
  await generateDevPki({ dir: FIXTURE_PKI_DIR });
  if (!process.env.DATABASE_URL) await ensurePgliteTemplate();
}
