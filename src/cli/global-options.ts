// Options accepted before or after the command name: `slipway --file F plan` is `slipway plan --file F`,
// and `slipway lock --json status` is `slipway lock status --json`. The program and each command
// group declare them and parse them up to the next command name (positional options, so that
// `logs -f` still means follow); a preAction hook hands their values to the command that runs, which
// declares the same options. Precedence for the fleet file: --file > $SLIPWAY_FILE > ./slipway.yaml.
import type { Command } from 'commander';
import { UsageError } from '../diag/errors.ts';
import { FILE_HELP } from './option-values.ts';

const GLOBALS = [
  { flags: '-f, --file <path>', long: '--file', key: 'file', help: FILE_HELP },
  { flags: '--json', long: '--json', key: 'json', help: 'machine-readable output, errors included' },
  { flags: '--server <name>', long: '--server', key: 'server', help: 'only this server' },
] as const;

function everyCommand(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(everyCommand)];
}

export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function takes(cmd: Command, key: string): boolean {
  return cmd.options.some((o) => o.attributeName() === key);
}

/** Declares the global options on the program and its command groups (after the commands are registered). */
export function addGlobalOptions(program: Command): void {
  program.enablePositionalOptions();
  const groups = everyCommand(program).filter((c) => c.commands.length > 0);
  for (const group of groups) {
    const runnable = everyCommand(group).filter((c) => c.commands.length === 0);
    for (const g of GLOBALS) {
      const users = runnable.filter((c) => takes(c, g.key));
      // A group that runs itself (backup [ENV], with backup prune below it) declares its own.
      if (users.length === 0 || takes(group, g.key)) continue;
      const scope = users.length === runnable.length ? '' : ` (${users.map((c) => commandPath(c).replace(/^\S+ /, '')).join(', ')})`;
      group.option(g.flags, `${g.help}${scope}`);
    }
  }
  program.hook('preAction', (_program, action) => handOver(action));
}

/** Each global option given before a command name is handed to the command that runs. */
function handOver(action: Command): void {
  const at = commandPath(action);
  for (const g of GLOBALS) {
    for (let group = action.parent; group; group = group.parent) {
      if (group.getOptionValueSource(g.key) !== 'cli') continue;
      const value: unknown = group.getOptionValue(g.key);
      if (!takes(action, g.key)) throw new UsageError(`${g.long} does not apply to "${at}"`, `run "${at} --help" for its options`);
      const own: unknown = action.getOptionValueSource(g.key) === 'cli' ? action.getOptionValue(g.key) : undefined;
      if (own !== undefined && own !== value)
        throw new UsageError(`${g.long} is given twice, "${String(value)}" before the command and "${String(own)}" after it`, `give ${g.long} once`);
      action.setOptionValueWithSource(g.key, value, 'cli');
    }
  }
}
