// A service's build section: `build: ./dir` or `{ context, dockerfile }`; other build keys are
// reported as not imported.
import { isMap, isScalar, type Node } from './compose-tree.ts';
import type { ReadContext } from './read-context.ts';
import { str } from './read-scalars.ts';
import type { ComposeService } from './types.ts';

export function readBuild(rc: ReadContext, n: Node | null, path: string): ComposeService['build'] {
  const node = rc.deref(n);
  if (isScalar(node)) {
    const ctx = str(rc, node, path);
    return ctx === undefined ? undefined : { context: ctx, dockerfile: 'Dockerfile' };
  }
  if (!isMap(node)) {
    rc.badType(n, path, 'a build context path, or { context, dockerfile }');
    return undefined;
  }
  let context = '.';
  let dockerfile = 'Dockerfile';
  for (const e of rc.entries(node, path)) {
    if (e.key === 'context') context = str(rc, e.value, `${path}/context`) ?? context;
    else if (e.key === 'dockerfile') dockerfile = str(rc, e.value, `${path}/dockerfile`) ?? dockerfile;
    else rc.unsupported(e, `${path}/${e.key}`, `build "${e.key}" is not imported (Slipway builds context + Dockerfile)`);
  }
  return { context, dockerfile };
}
