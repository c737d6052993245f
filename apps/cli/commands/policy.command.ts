import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { lintPolicy, parsePolicy, renderDiagnostics, renderPolicyTestReport, runPolicyTests, unifiedLineDiff } from '@gridauthz/policy';
import { audited, localActor, PolicyVersionRepository } from '@gridauthz/persistence';
import { CliError } from '../cli-error';
import { addConfigOption, configFor, type ConfigFlags } from './config-options';
import { openDatabase } from './open-database';

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 1);
  }
}

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('site policy (Argus SPL): lint, test, apply, list, show, diff, activate');

  policy
    .command('lint')
    .description('check a policy file; prints file:line:col diagnostics; exit 1 on errors')
    .argument('<file>', 'SPL policy file')
    .action((file: string) => {
      const diagnostics = lintPolicy(readText(file), basename(file));
      process.stdout.write(renderDiagnostics(file, diagnostics));
      const errors = diagnostics.filter((d) => d.severity === 'error').length;
      process.stdout.write(`${file}: ${errors} error(s), ${diagnostics.length - errors} warning(s)\n`);
      if (errors > 0) process.exitCode = 1;
    });

  policy
    .command('test')
    .description('evaluate the request cases of a YAML file against a policy; exit 1 if any case fails')
    .argument('<file>', 'SPL policy file')
    .argument('<cases>', 'YAML cases: request attributes → expected decision and obligations')
    .action((file: string, cases: string) => {
      const report = runPolicyTests(readText(file), readText(cases), { policyName: basename(file), casesName: basename(cases) });
      process.stdout.write(`${renderPolicyTestReport(report)}\n`);
      if (!report.passed) process.exitCode = 1;
    });

  addConfigOption(
    policy
      .command('apply')
      .description('store a policy file as a new version and activate it; running servers switch within a second')
      .argument('<file>', 'SPL policy file')
      .option('--author <name>', 'who applies it (default: the login name)')
      .option('--comment <text>', 'why', ''),
  ).action(async (file: string, flags: ConfigFlags & { author?: string; comment: string }) => {
    const text = readText(file);
    const parsed = parsePolicy(text, basename(file));
    if (!parsed.ok) {
      process.stderr.write(renderDiagnostics(file, parsed.error.diagnostics));
      throw new CliError(`${file} was not applied: it has errors; the active policy is unchanged`, 1);
    }
    const { db, target } = await openDatabase(configFor(flags));
    try {
      const version = await audited(db, { actor: localActor() }, async (tx) => {
        const repo = new PolicyVersionRepository(tx.manager);
        const before = await repo.active();
        const stored = await repo.storeAndActivate(text, flags.author ?? userInfo().username, flags.comment);
        await tx.record({
          action: 'policy.apply',
          target: stored.id,
          ...(before ? { before: { id: before.id, sha256: before.sha256 } } : {}),
          after: { id: stored.id, sha256: stored.sha256, comment: stored.comment, file },
        });
        return stored;
      });
      process.stdout.write(`policy version ${version.id} (sha256 ${version.sha256.slice(0, 12)}) is active on ${target}\n`);
    } finally {
      await db.close();
    }
  });

  addConfigOption(policy.command('list').description('list stored policy versions')).action(async (flags: ConfigFlags) => {
    const { db } = await openDatabase(configFor(flags));
    try {
      for (const v of await new PolicyVersionRepository(db).list()) {
        process.stdout.write(`${v.active ? '*' : ' '} ${v.id.padStart(4)}  ${v.createdAt.toISOString()}  ${v.sha256.slice(0, 12)}  ${v.author}  ${v.comment}\n`);
      }
    } finally {
      await db.close();
    }
  });

  addConfigOption(
    policy
      .command('show')
      .description('print a stored policy version (default: the active one) as applied')
      .argument('[version]', 'version id'),
  ).action(async (id: string | undefined, flags: ConfigFlags) => {
    const { db } = await openDatabase(configFor(flags));
    try {
      const versions = await new PolicyVersionRepository(db).list();
      const version = id === undefined ? versions.find((v) => v.active) : versions.find((v) => v.id === id);
      if (!version) throw new CliError(id === undefined ? 'no policy version is active' : `no policy version ${id}`, 1);
      process.stderr.write(`# policy version ${version.id}${version.active ? ' (active)' : ''}, sha256 ${version.sha256}, by ${version.author} at ${version.createdAt.toISOString()}${version.comment ? `: ${version.comment}` : ''}\n`);
      process.stdout.write(version.text.endsWith('\n') ? version.text : `${version.text}\n`);
    } finally {
      await db.close();
    }
  });

  addConfigOption(
    policy
      .command('diff')
      .description('unified diff between two stored policy versions ("active" names the active one); exit 1 if they differ')
      .argument('<a>', 'version id, or active')
      .argument('<b>', 'version id, or active'),
  ).action(async (a: string, b: string, flags: ConfigFlags) => {
    const { db } = await openDatabase(configFor(flags));
    try {
      const versions = await new PolicyVersionRepository(db).list();
      const find = (id: string) => {
        const v = id === 'active' ? versions.find((x) => x.active) : versions.find((x) => x.id === id);
        if (!v) throw new CliError(id === 'active' ? 'no policy version is active' : `no policy version ${id}`, 2);
        return v;
      };
      const va = find(a);
      const vb = find(b);
      const diff = unifiedLineDiff(va.text, vb.text, { a: `policy version ${va.id}`, b: `policy version ${vb.id}` });
      process.stdout.write(diff);
      if (diff !== '') process.exitCode = 1; // as diff(1): 0 same, 1 different
    } finally {
      await db.close();
    }
  });

  addConfigOption(
    policy.command('activate').description('make a stored version the active one (roll back or forward)').argument('<id>', 'version id'),
  ).action(async (id: string, flags: ConfigFlags) => {
    const { db, target } = await openDatabase(configFor(flags));
    try {
      const repo = new PolicyVersionRepository(db);
      const version = (await repo.list()).find((v) => v.id === id);
      if (!version) throw new CliError(`no policy version ${id}`, 1);
      const parsed = parsePolicy(version.text, `version ${id}`);
      if (!parsed.ok) throw new CliError(`version ${id} no longer compiles; not activated`, 1);
      await audited(db, { actor: localActor() }, async (tx) => {
        const inTx = new PolicyVersionRepository(tx.manager);
        const before = await inTx.active();
        if (!(await inTx.activate(id))) throw new CliError(`no policy version ${id}`, 1);
        await tx.record({ action: 'policy.activate', target: id, ...(before ? { before: { id: before.id, sha256: before.sha256 } } : {}), after: { id, sha256: version.sha256 } });
      });
      process.stdout.write(`policy version ${id} is active on ${target}\n`);
    } finally {
      await db.close();
    }
  });
}
