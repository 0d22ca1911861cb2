// A service's `volumes`: named volumes and bind mounts, short (`src:/target[:ro]`) and long syntax.
// Anonymous volumes and other mount types are reported and left out. What a bind becomes (host
// path, shipped file, development mount, data volume) is service-binds.ts's business.
import { isMap, isSeq, type Node } from './compose-tree.ts';
import type { ReadContext } from './read-context.ts';
import { bool, str } from './read-scalars.ts';
import type { ComposeVolumeMount } from './types.ts';

export function readMounts(rc: ReadContext, n: Node | null, path: string): ComposeVolumeMount[] {
  const node = rc.deref(n);
  if (!isSeq(node)) {
    rc.badType(n, path, 'a list of mounts ("data:/var/lib/data")');
    return [];
  }
  const out: ComposeVolumeMount[] = [];
  node.items.forEach((item, i) => {
    const p = `${path}/${i}`;
    const d = rc.deref(item as Node);
    let m: ComposeVolumeMount | undefined;
    if (isMap(d)) {
      let type = 'volume';
      let src: string | undefined;
      let target: string | undefined;
      let ro = false;
      for (const e of rc.entries(d, p)) {
        if (e.key === 'type') type = str(rc, e.value, `${p}/type`) ?? type;
        else if (e.key === 'source') src = str(rc, e.value, `${p}/source`);
        else if (e.key === 'target') target = str(rc, e.value, `${p}/target`);
        else if (e.key === 'read_only') ro = bool(rc, e.value, `${p}/read_only`) ?? false;
        else if (e.key !== 'volume' && e.key !== 'bind' && e.key !== 'consistency') rc.unsupported(e, `${p}/${e.key}`, `mount "${e.key}" is not supported`);
      }
      if (type !== 'volume' && type !== 'bind') {
        rc.add('warning', 'unsupported-compose-key', `${p}/type`, `mount type "${type}" is not imported`, 'use a named volume or a bind mount', rc.pos(d));
        return;
      }
      if (target === undefined) {
        rc.add('error', 'bad-volume', p, 'a long-syntax mount needs "target"', 'add target: /path/in/container', rc.pos(d));
        return;
      }
      if (src === undefined) {
        anonymous(rc, target, p, d);
        return;
      }
      m = { source: src, target, readOnly: ro, kind: type === 'bind' || isPathLike(src) ? 'bind' : 'volume' };
    } else {
      const s = str(rc, d, p);
      if (s === undefined) return;
      const parts = s.split(':');
      if (parts.length === 1) {
        anonymous(rc, s, p, d);
        return;
      }
      if (parts.length > 3 || !parts[0] || !parts[1]) {
        rc.add('error', 'bad-volume', p, `"${s}" is not a mount`, 'write "NAME:/path[:ro]" or "./dir:/path[:ro]"', rc.pos(d));
        return;
      }
      const modes = (parts[2] ?? '').split(',');
      m = { source: parts[0], target: parts[1], readOnly: modes.includes('ro'), kind: isPathLike(parts[0]) ? 'bind' : 'volume' };
    }
    if (!m.target.startsWith('/')) {
      rc.add('error', 'bad-volume', p, `mount target "${m.target}" is not an absolute path`, 'the container path must start with "/"', rc.pos(d));
      return;
    }
    // What a bind is (host path, shipped repository file, development mount…) is decided with
    // the service's build context and the working tree in service-binds.ts.
    out.push({ ...m, path: p, pos: rc.pos(d) });
  });
  return out;
}

function anonymous(rc: ReadContext, target: string, path: string, node: Node | null): void {
  rc.add(
    'warning',
    'anonymous-volume',
    path,
    `anonymous volume ${target} is not kept across releases and is not imported`,
    `name it ("${target.split('/').filter(Boolean).pop() ?? 'data'}:${target}") to keep its data`,
    rc.pos(node),
  );
}

function isPathLike(src: string): boolean {
  return src.startsWith('/') || src.startsWith('.') || src.startsWith('~');
}
