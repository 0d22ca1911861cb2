// Applying route and proxy-config actions. The proxy has one config file, rendered from every
// route of the server: a route action is carried by the proxy-config action that follows it (the
// plan always has one after route changes), which pushes the config and reloads gracefully. When
// the proxy itself goes away (no environment left on the server), nothing is pushed: the record
// of its routes is cleared, and the container delete that follows removes it.
import type { Action } from '../plan/diff/plan.ts';
import { type ApplyContext, unsupported } from './apply-context.ts';
import { clearAppliedRoutes, proxyInputs, proxySpec, reloadProxy } from './proxy.ts';

export async function applyRoute(ctx: ApplyContext, a: Action): Promise<string> {
  const reload = ctx.actions.some((x) => x.type === 'proxy-config' && x.server === a.server && ctx.actions.indexOf(x) > ctx.actions.indexOf(a));
  if (!reload) return unsupported(a);
  return a.kind === 'delete' ? 'left out of the proxy config' : 'in the proxy config';
}

export async function applyProxyConfig(ctx: ApplyContext, a: Action): Promise<string> {
  if (a.kind !== 'update') return unsupported(a);
  if (!proxySpec(ctx.run)) {
    await clearAppliedRoutes(ctx.run);
    return 'no proxy any more: routes cleared';
  }
  ctx.proxyInputs ??= await proxyInputs(ctx.run);
  return (await reloadProxy(ctx.run, ctx.proxyInputs)) ? 'pushed and reloaded' : 'already loaded';
}
