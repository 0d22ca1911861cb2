// Scalar readers shared by every part of the compose reader: strings, lists, maps
// of strings, numbers, booleans, ports, durations, sizes, CPU counts and commands. Each reports a
// typed diagnostic at the node's position and returns undefined when the value is unusable.
import { isMap, isScalar, isSeq, type Node } from './compose-tree.ts';
import { parseDuration } from '../../util/duration.ts';
import { splitShellWords } from '../../util/shell-words.ts';
import { parseSize } from '../../util/size.ts';
import { describe, type ReadContext } from './read-context.ts';

/** A string scalar (numbers and booleans are stringified; interpolation happened when the file was loaded). */
export function str(rc: ReadContext, n: Node | null, path: string): string | undefined {
  const node = rc.deref(n);
  if (!isScalar(node) || node.value === null || typeof node.value === 'object') {
    rc.badType(n, path, 'a string');
    return undefined;
  }
  return String(node.value);
}

export function strList(rc: ReadContext, node: Node | null, path: string): string[] {
  if (!isSeq(node)) {
    rc.badType(node, path, 'a list of strings');
    return [];
  }
  const out: string[] = [];
  node.items.forEach((it, i) => {
    const s = str(rc, it as Node, `${path}/${i}`);
    if (s !== undefined) out.push(s);
  });
  return out;
}

export function stringMap(rc: ReadContext, n: Node | null, path: string, what: string): Record<string, string> {
  const node = rc.deref(n);
  const out: Record<string, string> = {};
  if (isMap(node)) {
    for (const e of rc.entries(node, path)) {
      const v = rc.deref(e.value);
      out[e.key] = v === null || (isScalar(v) && v.value === null) ? '' : (str(rc, v, `${path}/${e.key}`) ?? '');
    }
  } else if (isSeq(node)) {
    for (const s of strList(rc, node, path)) {
      const eq = s.indexOf('=');
      out[eq < 0 ? s : s.slice(0, eq)] = eq < 0 ? '' : s.slice(eq + 1);
    }
  } else rc.badType(n, path, `a map or a list of "key=value" ${what}`);
  return out;
}

export function int(rc: ReadContext, n: Node | null, path: string, min: number): number | undefined {
  const node = rc.deref(n);
  const v = isScalar(node) ? (typeof node.value === 'string' ? Number(str(rc, node, path)) : node.value) : undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    rc.badType(n, path, `a whole number${min === 0 ? ' (0 or more)' : ''}`);
    return undefined;
  }
  return v;
}

export function bool(rc: ReadContext, n: Node | null, path: string): boolean | undefined {
  const node = rc.deref(n);
  if (isScalar(node) && typeof node.value === 'boolean') return node.value;
  if (isScalar(node) && (node.value === 'true' || node.value === 'false')) return node.value === 'true';
  rc.badType(n, path, 'true or false');
  return undefined;
}

export function portNumber(rc: ReadContext, n: Node | null, path: string): number | undefined {
  const v = int(rc, n, path, 1);
  if (v !== undefined && v > 65535) {
    rc.add('error', 'bad-port', path, `${v} is not a port`, 'use a port between 1 and 65535', rc.pos(n));
    return undefined;
  }
  return v;
}

export function duration(rc: ReadContext, n: Node | null, path: string): number | undefined {
  const node = rc.deref(n);
  if (isScalar(node) && typeof node.value === 'string') {
    const s = str(rc, node, path);
    const ms = s === undefined || /^\s*\d+(\.\d+)?\s*$/.test(s) ? undefined : parseDuration(s);
    if (ms !== undefined) return ms;
  }
  rc.add(
    'error',
    'bad-duration',
    path,
    `expected a duration such as 10s or 1m30s, got ${describe(node)}`,
    'write a number with a unit: ms, s, m or h (e.g. "30s")',
    rc.pos(node),
  );
  return undefined;
}

export function size(rc: ReadContext, n: Node | null, path: string): number | undefined {
  const node = rc.deref(n);
  const raw = isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number') ? node.value : undefined;
  const bytes = raw === undefined ? undefined : parseSize(typeof raw === 'string' ? (str(rc, node, path) ?? '') : raw);
  if (bytes === undefined)
    rc.add(
      'error',
      'bad-size',
      path,
      `expected a size such as 512M or 2g, got ${describe(node)}`,
      'write a number with a unit: 512M, 1.5G, 2GiB',
      rc.pos(node),
    );
  return bytes;
}

export function cpus(rc: ReadContext, n: Node | null, path: string): number | undefined {
  const node = rc.deref(n);
  const v = isScalar(node) ? Number(typeof node.value === 'string' ? str(rc, node, path) : node.value) : NaN;
  if (!Number.isFinite(v) || v <= 0 || (isScalar(node) && (typeof node.value === 'boolean' || node.value === null))) {
    rc.add(
      'error',
      'bad-cpus',
      path,
      `expected a number of CPUs such as 0.5 or 2, got ${describe(node)}`,
      'write a positive number, e.g. cpus: "0.5"',
      rc.pos(node),
    );
    return undefined;
  }
  return v;
}

export function argv(rc: ReadContext, n: Node | null, path: string): string[] | undefined {
  const node = rc.deref(n);
  if (node === null || (isScalar(node) && node.value === null)) return undefined;
  if (isScalar(node)) {
    const s = str(rc, node, path);
    if (s === undefined) return undefined;
    try {
      return splitShellWords(s);
    } catch (err) {
      rc.add('error', 'bad-command', path, (err as Error).message, 'close the quote, or write the command as a list ["prog", "arg"]', rc.pos(node));
      return undefined;
    }
  }
  if (isSeq(node)) return strList(rc, node, path);
  rc.badType(n, path, 'a command string or a list of arguments');
  return undefined;
}
