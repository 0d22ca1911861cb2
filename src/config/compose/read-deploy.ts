// A service's `deploy` section: replicas and resources.limits (memory, cpus). The rest of deploy
// (restart policies, update config) is Slipway's own job and reported as not imported.
import { MAX_REPLICAS } from '../../model/limits.ts';
import { isMap, type Node } from './compose-tree.ts';
import type { ReadContext } from './read-context.ts';
import { cpus, int, size } from './read-scalars.ts';

export function readDeploy(rc: ReadContext, n: Node | null, path: string): { replicas?: number; limits: { memory?: number; cpus?: number } } {
  const node = rc.deref(n);
  const out: { replicas?: number; limits: { memory?: number; cpus?: number } } = { limits: {} };
  if (!isMap(node)) {
    rc.badType(n, path, 'a map (replicas, resources.limits)');
    return out;
  }
  for (const e of rc.entries(node, path)) {
    const p = `${path}/${e.key}`;
    if (e.key === 'replicas') {
      const r = int(rc, e.value, p, 0);
      if (r !== undefined && r > MAX_REPLICAS)
        rc.badType(e.value, p, `a whole number from 0 to ${MAX_REPLICAS} (Slipway runs every replica of a process on one server)`);
      else if (r !== undefined) out.replicas = r;
    } else if (e.key === 'resources') {
      const res = rc.deref(e.value);
      if (!isMap(res)) {
        rc.badType(e.value, p, 'a map with limits');
        continue;
      }
      for (const r of rc.entries(res, p)) {
        const rp = `${p}/${r.key}`;
        if (r.key !== 'limits') {
          rc.unsupported(r, rp, `resources "${r.key}" is not imported; Slipway applies limits only`);
          continue;
        }
        const lim = rc.deref(r.value);
        if (!isMap(lim)) {
          rc.badType(r.value, rp, 'a map with memory and cpus');
          continue;
        }
        for (const l of rc.entries(lim, rp)) {
          if (l.key === 'memory') {
            const m = size(rc, l.value, `${rp}/memory`);
            if (m !== undefined) out.limits.memory = m;
          } else if (l.key === 'cpus') {
            const c = cpus(rc, l.value, `${rp}/cpus`);
            if (c !== undefined) out.limits.cpus = c;
          } else rc.unsupported(l, `${rp}/${l.key}`, `limit "${l.key}" is not imported`);
        }
      }
    } else rc.unsupported(e, p, `deploy "${e.key}" is not imported (Slipway handles restarts and rolling updates itself)`);
  }
  return out;
}
