// Registers every command on the program.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { registerValidate } from './validate.ts';
import { registerCheck } from './check.ts';
import { registerPlan } from './plan.ts';
import { registerRender } from './render.ts';
import { registerInit } from './init.ts';
import { registerUp } from './up.ts';
import { registerDown } from './down.ts';
import { registerDeploy } from './deploy.ts';
import { registerReleases } from './releases.ts';
import { registerStatus } from './status.ts';
import { registerLogsExec } from './logs-exec.ts';
import { registerOps } from './ops.ts';
import { registerBackup } from './backup.ts';
import { registerRestore } from './restore.ts';
import { registerCerts } from './certs.ts';
import { registerDns } from './dns.ts';
import { registerMove } from './move.ts';
import { registerServe, workflowServeOps } from './serve.ts';
import { registerServeInstall } from './serve-install.ts';
import { servePartFactories } from './serve-parts.ts';

export function registerCommands(program: Command, ctx: CliContext): void {
  registerValidate(program, ctx);
  registerCheck(program, ctx);
  registerPlan(program, ctx);
  registerRender(program, ctx);
  registerInit(program, ctx);
  registerUp(program, ctx);
  registerDown(program, ctx);
  registerDeploy(program, ctx);
  registerReleases(program, ctx);
  registerStatus(program, ctx);
  registerLogsExec(program, ctx);
  registerOps(program, ctx);
  registerBackup(program, ctx);
  registerRestore(program, ctx);
  registerCerts(program, ctx);
  registerDns(program, ctx);
  registerMove(program, ctx);
  registerServe(program, ctx, { ops: workflowServeOps(ctx), parts: servePartFactories() });
  registerServeInstall(program, ctx);
}
