// Registers every command on the program.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { registerValidate } from './validate.ts';
import { registerCheck } from './check.ts';
import { registerPlan } from './plan.ts';
import { registerRender } from './render.ts';
import { registerInit } from './init.ts';

export function registerCommands(program: Command, ctx: CliContext): void {
  registerValidate(program, ctx);
  registerCheck(program, ctx);
  registerPlan(program, ctx);
  registerRender(program, ctx);
  registerInit(program, ctx);
}
