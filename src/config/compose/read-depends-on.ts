// A service's `depends_on` (list, or map of service → { condition, required, restart }): the
// services it waits for, and for each its condition (`service_started`, the default;
// `service_healthy`; `service_completed_successfully`, which makes that service a one-off task run
// once per deploy before its dependents). Remembers where each dependency is named so an unknown
// one is reported at that line, and which ones are `required: false` (dropped when that service is
// not there, as compose does).
import type { DependsCondition } from '../fleet.ts';
import { isMap, isSeq, type Node } from './compose-tree.ts';
import type { ReadContext } from './read-context.ts';
import { bool, str, strList } from './read-scalars.ts';

const CONDITIONS: readonly DependsCondition[] = ['service_started', 'service_healthy', 'service_completed_successfully'];

export interface DependsOn {
  services: string[];
  /** Conditions other than the default `service_started`, by service. */
  conditions: Record<string, DependsCondition>;
}

export function readDependsOn(rc: ReadContext, n: Node | null, path: string, svc: string): DependsOn {
  const node = rc.deref(n);
  const conditions: Record<string, DependsCondition> = {};
  if (isSeq(node)) {
    const out = strList(rc, node, path);
    node.items.forEach((it, i) => out[i] !== undefined && rc.depPos.set(`${svc}/${out[i]}`, rc.pos(it as Node)));
    return { services: out, conditions };
  }
  if (!isMap(node)) {
    rc.badType(n, path, 'a list of service names, or a map of service → { condition }');
    return { services: [], conditions };
  }
  const out: string[] = [];
  for (const e of rc.entries(node, path)) {
    out.push(e.key);
    rc.depPos.set(`${svc}/${e.key}`, rc.pos(e.keyNode));
    const v = rc.deref(e.value);
    if (!isMap(v)) continue;
    for (const s of rc.entries(v, `${path}/${e.key}`)) {
      const p = `${path}/${e.key}/${s.key}`;
      if (s.key === 'required') {
        if (bool(rc, s.value, p) === false) rc.optionalDeps.add(`${svc}/${e.key}`);
      } else if (s.key === 'condition') {
        const cond = str(rc, s.value, p);
        if (cond === undefined) continue;
        if (!(CONDITIONS as readonly string[]).includes(cond)) {
          rc.add('error', 'bad-value', p, `unknown depends_on condition "${cond}"`, `use one of ${CONDITIONS.join(', ')}`, rc.pos(s.value));
          continue;
        }
        if (cond !== 'service_started') conditions[e.key] = cond as DependsCondition;
        if (cond === 'service_completed_successfully')
          rc.add(
            'info',
            'depends-on-completed',
            p,
            `"${e.key}" is a one-off task: each deploy runs it to completion (exit 0) before "${svc}" starts, and it never restarts`,
            'a task that fails stops the deploy, with its last output; the previous release keeps serving',
            rc.pos(s.value),
          );
      } else if (s.key === 'restart') {
        // Compose restarts the dependent when this service is updated; a deploy replaces what changed.
        bool(rc, s.value, p);
      } else rc.unsupported(s, p, `depends_on "${s.key}" is not imported`);
    }
  }
  return { services: out, conditions };
}
