// Commands report their exit code here (on the root command) instead of calling process.exit.
import type { Command } from 'commander';

type WithExit = Command & { _slipwayExit?: number };

export function setExit(cmd: Command, code: number): void {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  (root as WithExit)._slipwayExit = code;
}

export function exitCodeOf(program: Command): number {
  return (program as WithExit)._slipwayExit ?? 0;
}
