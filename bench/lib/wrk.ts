// bench/lib/wrk.ts — runs wrk (Debian package `wrk`, scripts/host-packages.sh) against a loopback
// port with a Host header and either one Authorization value or a cycle of many (a Lua script), and
// reads its summary: requests per second, and how many answers were not 2xx/3xx.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const WRK = '/usr/bin/wrk';
const run = promisify(execFile);

export interface WrkOptions {
  port: number;
  host: string;
  connections: number;
  seconds: number;
  /** One Authorization value sent with every request. */
  authorization?: string;
  /** Authorization values sent in turn, one per request (e.g. a flood of wrong passwords). */
  authorizations?: string[];
}

export interface WrkResult {
  requests: number;
  rps: number;
  /** Answers with a status outside 200–399. */
  non2xx: number;
  /** Socket errors and timeouts (wrk's "Socket errors" line). */
  errors: number;
}

export function parseWrk(out: string): WrkResult {
  const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? 0);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!rps) throw new Error(`wrk printed no Requests/sec:\n${out}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests: num(/(\d+) requests in/),
    rps: Number(rps[1]),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    errors: socket ? socket.slice(1).reduce((n, v) => n + Number(v), 0) : 0,
  };
}

function luaCycle(values: string[]): string {
  const list = values.map((v) => JSON.stringify(v)).join(',\n');
  return `local values = {\n${list}\n}\nlocal i = 0\nrequest = function()\n  i = i % #values + 1\n  wrk.headers["Authorization"] = values[i]\n  return wrk.format(nil)\nend\n`;
}

export async function wrk(o: WrkOptions): Promise<WrkResult> {
  const argv = ['-t1', `-c${o.connections}`, `-d${o.seconds}s`, '--timeout', '5s', '-H', `Host: ${o.host}`];
  if (o.authorization !== undefined) argv.push('-H', `Authorization: ${o.authorization}`);
  let dir: string | undefined;
  if (o.authorizations) {
    dir = mkdtempSync(join(tmpdir(), 'slipway-wrk-'));
    writeFileSync(join(dir, 'cycle.lua'), luaCycle(o.authorizations));
    argv.push('-s', join(dir, 'cycle.lua'));
  }
  try {
    const { stdout } = await run(WRK, [...argv, `http://127.0.0.1:${o.port}/`], { maxBuffer: 1 << 20 });
    return parseWrk(stdout);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
