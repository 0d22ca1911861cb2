// Options accepted before or after the command name: `slipway --file F plan` is `slipway plan --file F`.
// The program declares them and parses them up to the command name (positional options, so that
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

/** Declares the global options on the program (after the commands are registered). */
export function addGlobalOptions(program: Command): void {
  program.enablePositionalOptions();
  const runnable = everyCommand(program).filter((c) => c !== program && c.commands.length === 0);
  for (const g of GLOBALS) {
    const users = runnable.filter((c) => takes(c, g.key));
    const scope = users.length === runnable.length ? '' : ` (${users.map((c) => commandPath(c).replace(/^\S+ /, '')).join(', ')})`;
    program.option(g.flags, `${g.help}${scope}`);
  }
  program.hook('preAction', (_program, action) => handOver(program, action));
}

function handOver(program: Command, action: Command): void {
  for (const g of GLOBALS) {
    if (program.getOptionValueSource(g.key) !== 'cli') continue;
    const value: unknown = program.getOptionValue(g.key);
    const at = commandPath(action);
    if (!takes(action, g.key)) throw new UsageError(`${g.long} does not apply to "${at}"`, `run "${at} --help" for its options`);
    const own: unknown = action.getOptionValueSource(g.key) === 'cli' ? action.getOptionValue(g.key) : undefined;
    if (own !== undefined && own !== value)
      throw new UsageError(`${g.long} is given twice, "${String(value)}" before the command and "${String(own)}" after it`, `give ${g.long} once`);
    action.setOptionValueWithSource(g.key, value, 'cli');
  }
}
