// `slipway status [ENV]`: env × app × process, with release, health, uptime and memory; then, per
// environment, the age of the last good backup and of the last verification (from the records on
// its server). `--json`: { processes: StatusRow[], backups: EnvBackupStatus[] }.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { requireFleet } from '../fleet-input.ts';
import { printJson } from '../print.ts';
import { withSession } from '../../workflows/fleet-session.ts';
import { envByName, serversOfEnv } from '../targets.ts';
import { serverStatus, type StatusRow } from '../../workflows/status.ts';
import { type EnvBackupStatus, envBackupStatus } from '../../workflows/status-backups.ts';
import { formatAge } from '../views/backup-view.ts';
import { table } from '../views/table.ts';
import { formatSize } from '../../util/size.ts';
import { FILE_HELP } from '../option-values.ts';

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description(
      'Show every process of every environment (or of ENV): release, health, uptime, memory against its limit; and per environment the age of the last good backup and of the last verification',
    )
    .argument('[env]')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .action(async (envName: string | undefined, opts: { file: string; json?: boolean }) => {
      const { fleet } = requireFleet(ctx, opts);
      const servers = envName ? serversOfEnv(fleet, envByName(fleet, envName).name) : fleet.servers.map((s) => s.name);
      await withSession(ctx, fleet, servers, { json: true }, async (session) => {
        const runs = [...session.runs.values()];
        const [rows, backups] = await Promise.all([
          Promise.all(runs.map((run) => serverStatus(run, envName))).then((r) => r.flat()),
          Promise.all(runs.map((run) => envBackupStatus(run, envName))).then((r) => r.flat()),
        ]);
        if (opts.json) return printJson(ctx, { processes: rows, backups });
        ctx.stdout.write(renderStatus(rows));
        if (backups.length) ctx.stdout.write(`\n${renderBackupStatus(backups)}`);
      });
    });
}

export function renderStatus(rows: StatusRow[]): string {
  const up = (s: number | null) =>
    s === null ? '' : s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : s < 86400 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}d`;
  const mem = (r: StatusRow) =>
    r.memUsage === null
      ? ''
      : `${formatSize(r.memUsage)} / ${r.memLimit ? formatSize(r.memLimit) : 'no limit'}${r.memLimit ? ` (${Math.round((100 * r.memUsage) / r.memLimit)}%)` : ''}`;
  const sorted = [...rows].sort(
    (a, b) =>
      a.server.localeCompare(b.server) ||
      a.env.localeCompare(b.env) ||
      a.app.localeCompare(b.app) ||
      a.process.localeCompare(b.process) ||
      a.replica - b.replica,
  );
  return table(
    ['SERVER', 'ENV', 'APP', 'PROCESS', 'RELEASE', 'STATE', 'HEALTH', 'UPTIME', 'MEMORY'],
    sorted.map((r) => [r.server, r.env, r.app, r.replica ? `${r.process}#${r.replica}` : r.process, r.release ?? '', r.state, r.health, up(r.uptimeS), mem(r)]),
  );
}

export function renderBackupStatus(rows: readonly EnvBackupStatus[]): string {
  return table(
    ['ENV', 'SERVER', 'LAST GOOD BACKUP', 'LAST VERIFICATION', 'NEWEST NOT OK'],
    rows.map((r) => [
      r.env,
      r.server,
      r.lastOk ? `${formatAge(r.lastOk.ageS)} ago (${r.lastOk.id})` : r.policy ? 'none' : 'no backup policy',
      r.lastVerification ? `${r.lastVerification.result} ${formatAge(r.lastVerification.ageS)} ago (${r.lastVerification.id})` : r.lastOk ? 'never' : '-',
      r.newestNotOk ? `${r.newestNotOk.status} ${formatAge(r.newestNotOk.ageS)} ago (${r.newestNotOk.id})` : '',
    ]),
  );
}
