// `slipway deploy APP ENV [PROCESS…]` and `slipway rollback APP ENV [RELEASE]`: argument parsing, the deploy or
// rollback workflow on the app's server, and the switch view.
import { type Command, Option } from 'commander';
import type { CliContext } from '../context.ts';
import { requireFleet } from '../fleet-input.ts';
import { printJson } from '../print.ts';
import { runFor, withSession } from '../../workflows/fleet-session.ts';
import { buildServerRun } from '../../workflows/build-run.ts';
import { appEnv } from '../targets.ts';
import { deploy, type DeployResult } from '../../workflows/deploy.ts';
import { rollback } from '../../workflows/rollback.ts';
import { renderSwitch } from '../views/switch-view.ts';
import { UsageError, UserError } from '../../diag/errors.ts';
import { FILE_HELP, nonNegativeNumber, positiveInteger } from '../option-values.ts';
import { IDENTITY_HELP } from '../identity-option.ts';

interface SwitchOpts {
  file: string;
  json?: boolean;
  drain: string;
  keep: string;
  lockWait: string;
}

function common(cmd: Command): Command {
  return cmd
    .option('-f, --file <path>', FILE_HELP)
    .option('--drain <ms>', 'time to let in-flight requests finish on the old release after the switch', nonNegativeNumber, '2000')
    .option('--keep <n>', 'releases whose containers are kept (stopped) for instant rollback', positiveInteger, '3')
    .option('--lock-wait <seconds>', 'wait this long for another deploy to release the environment lock', nonNegativeNumber, '0')
    .option('--identity <file>', IDENTITY_HELP)
    .option('--json', 'print the result as JSON');
}

function num(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UserError(`${what} must be a non-negative number, got "${v}"`);
  return n;
}

export function registerDeploy(program: Command, ctx: CliContext): void {
  common(
    program
      .command('deploy')
      .description('Build (from git, on the server) or take an image, run release commands, and switch APP in ENV with zero downtime')
      .argument('<app>')
      .argument('<env>')
      .argument('[process...]', 'replace only these processes; the others keep running as they are (default: every process whose spec changed)')
      .option('--ref <ref>', "git tag, branch or commit to deploy (default: per the environment's deploy policy)")
      .addOption(new Option('--image <image>', 'deploy this image (already on the server) instead of building').conflicts('ref'))
      .option('--build-on <server>', 'build (or take the image) on this server and stream it to the target; skipped when the target already has that image id'),
  ).action(async (appName: string, envName: string, processes: string[], opts: SwitchOpts & { ref?: string; image?: string; buildOn?: string }) => {
    if (opts.ref && opts.image) throw new UserError('pass either --ref or --image, not both');
    const timing = switchTiming(opts);
    const { fleet } = requireFleet(ctx, opts);
    const { app, env, server } = appEnv(fleet, appName, envName);
    const known = (app.perEnv[env.name]?.processes ?? []).map((p) => p.name);
    const unknown = processes.filter((p) => !known.includes(p));
    if (unknown.length > 0)
      throw new UsageError(
        `${app.name} has no process ${unknown.map((p) => `"${p}"`).join(', ')} in ${env.name}`,
        `processes of ${app.name} in ${env.name}: ${known.join(', ')}`,
      );
    if (opts.buildOn && !fleet.servers.some((s) => s.name === opts.buildOn))
      throw new UsageError(`unknown server "${opts.buildOn}" for --build-on`, `servers: ${fleet.servers.map((s) => s.name).join(', ')}`);
    await withSession(ctx, fleet, opts.buildOn && opts.buildOn !== server ? [server, opts.buildOn] : [server], opts, async (session) => {
      const buildOn = opts.buildOn && opts.buildOn !== server ? buildServerRun(session, opts.buildOn) : undefined;
      const res = await deploy(runFor(session, server), app, env, {
        ref: opts.ref,
        image: opts.image,
        ...timing,
        killAt: ctx.env.SLIPWAY_TEST_KILL_AT,
        buildOn,
        ...(processes.length > 0 ? { processes: [...new Set(processes)] } : {}),
      });
      print(ctx, res, 'deployed', opts.json, session.report.steps);
    });
  });

  common(
    program
      .command('rollback')
      .description('Switch APP in ENV back to a previous release (default: the one before the live one), with zero downtime')
      .argument('<app>')
      .argument('<env>')
      .argument('[release]', 'release id from `slipway releases`'),
  ).action(async (appName: string, envName: string, release: string | undefined, opts: SwitchOpts) => {
    const timing = switchTiming(opts);
    const { fleet } = requireFleet(ctx, opts);
    const { app, env, server } = appEnv(fleet, appName, envName);
    await withSession(ctx, fleet, [server], opts, async (session) => {
      const res = await rollback(runFor(session, server), app, env, { release, ...timing, killAt: ctx.env.SLIPWAY_TEST_KILL_AT });
      print(ctx, res, 'rolled back to', opts.json, session.report.steps);
    });
  });
}

function switchTiming(opts: SwitchOpts): { drainMs: number; keep: number; lockWaitS: number } {
  return { drainMs: num(opts.drain, '--drain'), keep: Math.max(1, num(opts.keep, '--keep')), lockWaitS: num(opts.lockWait, '--lock-wait') };
}

function print(ctx: CliContext, res: DeployResult, verb: 'deployed' | 'rolled back to', json: boolean | undefined, steps: unknown[]): void {
  if (json) return printJson(ctx, { ok: true, ...res, steps });
  ctx.stdout.write(renderSwitch(res, verb));
}
