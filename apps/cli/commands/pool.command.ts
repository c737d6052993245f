import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from '../cli-error';
import { type AdminApiFlags, callAdmin, output, outputRecord, printWarnings, withAdminApi } from './admin.command';

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw new CliError(`cannot read JSON from ${path}: ${(err as Error).message}`, 1);
  }
}

export function registerPool(program: Command): void {
  const pool = program.command('pool').description('pools, accounts and unix groups through the admin API');
  withAdminApi(pool.command('list').description('list pools')).action(async (flags: AdminApiFlags) => {
    const answer = await callAdmin(flags, 'GET', '/pools');
    output(flags, answer, answer['pools'] as Record<string, unknown>[], ['id', 'kind', 'accounts']);
  });
  withAdminApi(pool.command('show').description('one pool definition').argument('<id>', 'pool id')).action(async (id: string, flags: AdminApiFlags) => {
    outputRecord(flags, await callAdmin(flags, 'GET', `/pools/${encodeURIComponent(id)}`));
  });
  withAdminApi(pool.command('accounts').description("a pool's accounts with lease state and quarantine").argument('<id>', 'pool id')).action(
    async (id: string, flags: AdminApiFlags) => {
      const answer = await callAdmin(flags, 'GET', `/pools/${encodeURIComponent(id)}/accounts`);
      output(flags, answer, answer['accounts'] as Record<string, unknown>[], ['username', 'uid', 'gid', 'held', 'enabled', 'availableAfter']);
    },
  );
  withAdminApi(
    pool
      .command('set')
      .description('create or change a pool (operators)')
      .argument('<id>', 'pool id')
      .option('--kind <kind>', 'user, pilot or static', 'user')
      .option('--range <spec>', 'prefix:count:firstUid:width:gid[:firstIndex], e.g. atlas:50:61001:3:5000:1')
      .option('--file <json>', 'members as JSON ({"kind":"list","accounts":[...]} or a range object)'),
  ).action(async (id: string, flags: AdminApiFlags & { kind: string; range?: string; file?: string }) => {
    let members: unknown;
    if (flags.range !== undefined) {
      const [prefix, count, firstUid, width, gid, firstIndex] = flags.range.split(':');
      const n = (v: string | undefined, what: string): number => {
        const x = Number(v);
        if (v === undefined || !Number.isInteger(x)) throw new CliError(`--range: ${what} must be a whole number`, 2);
        return x;
      };
      members = { kind: 'range', prefix, count: n(count, 'count'), firstUid: n(firstUid, 'firstUid'), width: n(width, 'width'), gid: n(gid, 'gid'), ...(firstIndex !== undefined ? { firstIndex: n(firstIndex, 'firstIndex') } : {}) };
    } else if (flags.file !== undefined) {
      members = readJson(flags.file);
    } else {
      throw new CliError('give --range or --file', 2);
    }
    const answer = await callAdmin(flags, 'PUT', `/pools/${encodeURIComponent(id)}`, { kind: flags.kind, members });
    printWarnings(answer);
    outputRecord(flags, answer);
  });
  withAdminApi(pool.command('groups').description('unix groups')).action(async (flags: AdminApiFlags) => {
    const answer = await callAdmin(flags, 'GET', '/groups');
    output(flags, answer, answer['groups'] as Record<string, unknown>[], ['name', 'gid']);
  });
  withAdminApi(pool.command('group-set').description('create or change a unix group (operators)').argument('<name>', 'group name').argument('<gid>', 'gid')).action(
    async (name: string, gid: string, flags: AdminApiFlags) => {
      outputRecord(flags, await callAdmin(flags, 'PUT', `/groups/${encodeURIComponent(name)}`, { gid: Number(gid) }));
    },
  );
}
