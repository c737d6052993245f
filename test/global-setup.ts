import { ensurePgliteTemplate } from './support/pglite-template';

/** Runs once before all test files: shared, expensive set-up. */
export async function setup(): Promise<void> {
  if (!process.env.DATABASE_URL) await ensurePgliteTemplate();
}
