// A service's environment: `env_file` files first, then `environment` (map or KEY=value list) over
// them, as compose does; each value keeps where it was defined. A variable without a value takes
// the project's variable of that name (the .env file), as compose does; Slipway reads no shell
// environment, so one that is not there either is reported and left out.
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, type Node } from './compose-tree.ts';
import type { SourcePos } from '../../diag/diagnostic.ts';
import { parseEnvFile } from './env-file.ts';
import { interpolate, varOf } from './interpolate.ts';
import type { ReadContext } from './read-context.ts';
import { UNSET_HINT } from './read-document.ts';
import { bool, str } from './read-scalars.ts';
import type { ComposeService } from './types.ts';

export function readEnvironment(rc: ReadContext, n: Node | null, path: string, svc: ComposeService): void {
  const node = rc.deref(n);
  if (node === null || (isScalar(node) && node.value === null)) return;
  if (isMap(node)) {
    for (const e of rc.entries(node, path)) {
      const v = rc.deref(e.value);
      if (v === null || (isScalar(v) && v.value === null)) {
        fromProject(rc, svc, e.key, `${path}/${e.key}`, rc.pos(e.keyNode ?? e.value));
        continue;
      }
      const s = str(rc, v, `${path}/${e.key}`);
      if (s === undefined) continue;
      svc.environment[e.key] = s;
      svc.envPos[e.key] = rc.pos(v);
    }
    return;
  }
  if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const s = str(rc, item as Node, `${path}/${i}`);
      if (s === undefined) return;
      const eq = s.indexOf('=');
      if (eq < 0) {
        fromProject(rc, svc, s, `${path}/${i}`, rc.pos(item as Node));
        return;
      }
      const key = s.slice(0, eq);
      svc.environment[key] = s.slice(eq + 1);
      svc.envPos[key] = rc.pos(item as Node);
    });
    return;
  }
  rc.badType(n, path, 'a map KEY: value or a list of "KEY=value"');
}

function fromProject(rc: ReadContext, svc: ComposeService, key: string, path: string, pos: SourcePos): void {
  const v = varOf(rc.vars, key);
  if (v !== undefined) {
    svc.environment[key] = v;
    svc.envPos[key] = pos;
    return;
  }
  rc.add(
    'warning',
    'env-from-shell',
    path,
    `${key} has no value and is not in the project's .env; compose would copy it from the shell, Slipway reads no shell environment`,
    `set it in the app's env: in slipway.yaml (use { secret: ${key} } if it is sensitive)`,
    pos,
  );
}

export function readEnvFiles(rc: ReadContext, n: Node | null, path: string, svc: ComposeService): void {
  const node = rc.deref(n);
  const items: { node: Node; path: string }[] = [];
  if (isScalar(node)) items.push({ node, path });
  else if (isSeq(node)) node.items.forEach((it, i) => items.push({ node: it as Node, path: `${path}/${i}` }));
  else {
    rc.badType(n, path, 'a file path or a list of paths');
    return;
  }
  for (const it of items) {
    const d = rc.deref(it.node);
    let rel: string | undefined;
    let required = true;
    if (isMap(d)) {
      for (const e of rc.entries(d, it.path)) {
        if (e.key === 'path') rel = str(rc, e.value, `${it.path}/path`);
        else if (e.key === 'required') required = bool(rc, e.value, `${it.path}/required`) ?? true;
        else rc.unsupported(e, `${it.path}/${e.key}`, `env_file "${e.key}" is not supported`);
      }
    } else rel = str(rc, d, it.path);
    if (rel === undefined) continue;
    const full = resolve(dirname(rc.file), rel);
    const text = rc.read(full);
    if (text === undefined) {
      if (required)
        rc.add(
          'error',
          'env-file-not-found',
          it.path,
          `env_file ${rel} not found (looked for ${full})`,
          'create it next to the compose file, or mark it { path: ..., required: false }',
          rc.pos(d),
        );
      continue;
    }
    const parsed = parseEnvFile(text);
    for (const p of parsed.problems)
      rc.add('warning', 'env-file-line', it.path, p.message, 'use KEY=VALUE lines; # starts a comment', { file: full, line: p.line, col: p.col });
    for (const entry of parsed.entries) {
      const epos = { file: full, line: entry.line, col: 1 };
      let value = entry.value;
      if (entry.interpolate) {
        const r = interpolate(value, rc.vars);
        value = r.value;
        for (const u of r.unresolved) {
          const hint = UNSET_HINT.replaceAll('VAR', u.name);
          if (u.kind === 'unset')
            rc.add('warning', 'unset-variable', it.path, `${u.message}: "${entry.key}" gets an empty string for it, as in docker compose`, hint, epos);
          else rc.add('error', u.kind === 'required' ? 'required-variable' : 'bad-interpolation', it.path, `${entry.key}: ${u.message}`, hint, epos);
        }
      }
      svc.environment[entry.key] = value;
      svc.envPos[entry.key] = epos;
    }
  }
}
