// Compose `configs:` and `secrets:`: the top-level definitions (`file:`, `environment:`,
// `content:`, `external:`) and a service's references to them (short `- name` or long
// `{ source, target, uid, gid, mode }`). File-based ones become repository files shipped like bind
// mounts (processes.ts); the rest is left out with a warning there.
import { isMap, isScalar, isSeq, type Node } from './compose-tree.ts';
import type { ReadContext } from './read-context.ts';
import { bool, str } from './read-scalars.ts';
import type { ComposeFileDef, ComposeFileRef } from './types.ts';

/** A top-level `configs:` or `secrets:` map → definitions by name. */
export function readFileDefs(rc: ReadContext, n: Node | null, path: 'configs' | 'secrets'): Record<string, ComposeFileDef> {
  const node = rc.deref(n);
  const out: Record<string, ComposeFileDef> = {};
  if (node === null || (isScalar(node) && node.value === null)) return out;
  if (!isMap(node)) {
    rc.badType(n, path, `a map of name → { file: ./path }`);
    return out;
  }
  for (const e of rc.entries(node, path)) {
    const p = `${path}/${e.key}`;
    const v = rc.deref(e.value);
    const def: ComposeFileDef = { pos: rc.pos(e.keyNode ?? e.value) };
    out[e.key] = def;
    if (!isMap(v)) {
      rc.badType(e.value, p, 'a map with file:, environment:, content: or external:');
      continue;
    }
    for (const f of rc.entries(v, p)) {
      if (f.key === 'file') def.file = str(rc, f.value, `${p}/file`);
      else if (f.key === 'environment') def.environment = str(rc, f.value, `${p}/environment`);
      else if (f.key === 'content') def.content = true;
      else if (f.key === 'external') def.external = bool(rc, f.value, `${p}/external`) ?? false;
      else if (f.key === 'name' || f.key === 'labels' || f.key.startsWith('x-')) continue;
      else rc.unsupported(f, `${p}/${f.key}`, `"${f.key}" of a ${path === 'configs' ? 'config' : 'secret'} is not imported`);
    }
  }
  return out;
}

/** A service's `configs:` or `secrets:` list. */
export function readFileRefs(rc: ReadContext, n: Node | null, path: string, kind: 'config' | 'secret'): ComposeFileRef[] {
  const node = rc.deref(n);
  if (!isSeq(node)) {
    rc.badType(n, path, `a list of ${kind} names, or of { source, target }`);
    return [];
  }
  const out: ComposeFileRef[] = [];
  node.items.forEach((item, i) => {
    const p = `${path}/${i}`;
    const d = rc.deref(item as Node);
    if (!isMap(d)) {
      const source = str(rc, d, p);
      if (source !== undefined) out.push({ kind, source, path: p, pos: rc.pos(d) });
      return;
    }
    const ref: Partial<ComposeFileRef> = { kind, path: p, pos: rc.pos(d) };
    for (const e of rc.entries(d, p)) {
      const ep = `${p}/${e.key}`;
      if (e.key === 'source') ref.source = str(rc, e.value, ep);
      else if (e.key === 'target') ref.target = str(rc, e.value, ep);
      else if (e.key === 'uid' || e.key === 'gid') {
        const id = idNumber(str(rc, e.value, ep));
        if (id === undefined) rc.add('error', 'bad-type', ep, `${e.key} must be a number`, `write ${e.key}: "1000"`, rc.pos(e.value));
        else ref[e.key] = id;
      } else if (e.key === 'mode') {
        const mode = fileMode(e.value);
        if (mode === undefined) rc.add('error', 'bad-type', ep, 'mode must be permission bits such as 0440', 'write mode: 0440', rc.pos(e.value));
        else ref.mode = mode;
      } else rc.unsupported(e, ep, `"${e.key}" of a ${kind} reference is not imported`);
    }
    if (ref.source === undefined) {
      rc.add('error', 'bad-type', p, `a ${kind} reference needs "source"`, `add source: NAME (a ${kind} defined at the top level)`, rc.pos(d));
      return;
    }
    out.push(ref as ComposeFileRef);
  });
  return out;
}

function idNumber(s: string | undefined): number | undefined {
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined;
}

/**
 * Permission bits as compose files write them: `0440` (octal). A YAML 1.2 reader gives the number
 * 440, a 1.1 reader 288; a quoted "0440" is a string. Digits 0-7 only are read as octal.
 */
export function fileMode(n: Node | null): number | undefined {
  if (!isScalar(n)) return undefined;
  const v = n.value;
  let mode: number | undefined;
  if (typeof v === 'string' && /^0?o?[0-7]{1,4}$/.test(v)) mode = Number.parseInt(v.replace(/^0?o?/, '') || '0', 8);
  else if (typeof v === 'number' && Number.isInteger(v) && v >= 0) mode = /^[0-7]+$/.test(String(v)) ? Number.parseInt(String(v), 8) : v;
  return mode !== undefined && mode <= 0o7777 ? mode : undefined;
}
