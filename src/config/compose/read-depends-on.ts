// A service's `depends_on` (list, or map of service → { condition, required }); remembers where
// each dependency is named so an unknown one is reported at that line, and which ones are
// `required: false` (dropped when that service is not there, as compose does).
import { isMap, isSeq, type Node } from './compose-tree.ts';
import type { ReadContext } from './read-context.ts';
import { bool, str, strList } from './read-scalars.ts';

export function readDependsOn(rc: ReadContext, n: Node | null, path: string, svc: string): string[] {
  const node = rc.deref(n);
  if (isSeq(node)) {
    const out = strList(rc, node, path);
    node.items.forEach((it, i) => out[i] !== undefined && rc.depPos.set(`${svc}/${out[i]}`, rc.pos(it as Node)));
    return out;
  }
  if (!isMap(node)) {
    rc.badType(n, path, 'a list of service names, or a map of service → { condition }');
    return [];
  }
  const out: string[] = [];
  for (const e of rc.entries(node, path)) {
    out.push(e.key);
    rc.depPos.set(`${svc}/${e.key}`, rc.pos(e.keyNode));
    const v = rc.deref(e.value);
    if (!isMap(v)) continue;
    for (const s of rc.entries(v, `${path}/${e.key}`)) {
      if (s.key === 'required' && bool(rc, s.value, `${path}/${e.key}/required`) === false) rc.optionalDeps.add(`${svc}/${e.key}`);
      if (s.key !== 'condition') continue;
      const cond = str(rc, s.value, `${path}/${e.key}/condition`);
      if (cond === 'service_completed_successfully')
        rc.add(
          'info',
          'depends-on-completed',
          `${path}/${e.key}/condition`,
          `"${e.key}" is a one-shot task here; Slipway runs processes continuously and waits for them to be started/healthy`,
          "move one-shot tasks (migrations) to the app's release: commands",
          rc.pos(s.value),
        );
    }
  }
  return out;
}
