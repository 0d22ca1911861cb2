// A move's changes to a server's proxy, host by host: hold writes (methods other than GET, HEAD,
// OPTIONS answered 503 with Retry-After, or sent to wait at the other server's proxy; reads still
// served) and forward (every request proxied to
// another server's proxy, `ADDR:PORT` or `https://ADDR:PORT`). Like the maintenance flag, they are
// kept in the server's state (proxy/overrides.json), so the next `up` or proxy recreate keeps
// them; a change reloads the proxy at once (gracefully) and is audited. The renderers say how each
// proxy does it (render/nginx.ts, render/caddy.ts).
import { UserError } from '../diag/errors.ts';
import { forwardTarget } from '../render/nginx.ts';
import { audit } from './audit.ts';
import type { ProxyOverrides } from './proxy-config.ts';
import { proxyInputs, readOverrides, reloadProxy, writeOverrides } from './proxy.ts';
import type { ServerRun } from './server-run.ts';

export type { ProxyOverrides } from './proxy-config.ts';
export { readOverrides } from './proxy.ts';

/** Retry-After when a caller has no opinion. */
export const DEFAULT_RETRY_AFTER_S = 2;

export interface OverrideChange {
  /**
   * Hold writes with this Retry-After, or (`waitAt`, another server's proxy as ADDR:PORT) send them
   * there to wait; null stops holding; absent leaves it as it is.
   */
  holdWrites?: { retryAfterS: number; waitAt?: string } | null;
  /** Forward to another server's proxy; null stops forwarding; absent leaves it as it is. */
  forward?: { to: string } | null;
}

/**
 * Applies `change` to each of `hosts` on this server, writes the state file and reloads the proxy
 * (`reloaded` is false when the proxy already served exactly this config). Setting an override
 * needs a route for the host here; removing one never does.
 */
export async function setOverrides(run: ServerRun, hosts: string[], change: OverrideChange): Promise<{ reloaded: boolean }> {
  const { holdWrites, forward } = change;
  if (holdWrites) {
    const s = holdWrites.retryAfterS;
    if (!Number.isInteger(s) || s < 0 || s > 86_400)
      throw new UserError(`Retry-After ${s} is not a whole number of seconds up to a day`, 'give the seconds clients should wait, e.g. 2');
    const w = holdWrites.waitAt;
    if (w !== undefined && (!/^[^/]+:\d+$/.test(w) || !canForward(w)))
      throw new UserError(`held writes cannot wait at ${JSON.stringify(w)}`, "give the other server's proxy as ADDR:PORT (plain HTTP)");
  }
  if (forward) {
    try {
      forwardTarget(forward.to);
    } catch {
      throw new UserError(`cannot forward to ${JSON.stringify(forward.to)}`, "give the other server's proxy as ADDR:PORT (plain HTTP) or https://ADDR:PORT");
    }
  }
  if (holdWrites || forward) {
    const served = new Set(run.state.routes.map((r) => r.host));
    const missing = hosts.filter((h) => !served.has(h));
    if (missing.length > 0)
      throw new UserError(
        `${run.conn.server.name} has no route for ${missing.join(', ')}`,
        "hold writes and forwards change a route of this server's proxy; name a host it serves",
      );
  }
  const o = await readOverrides(run);
  for (const host of hosts) {
    if (holdWrites === null) delete o.holdWrites[host];
    else if (holdWrites)
      o.holdWrites[host] = { retryAfterS: holdWrites.retryAfterS, ...(holdWrites.waitAt !== undefined ? { waitAt: holdWrites.waitAt } : {}) };
    if (forward === null) delete o.forward[host];
    else if (forward) o.forward[host] = { to: forward.to };
  }
  await writeOverrides(run, sorted(o));
  const reloaded = await reloadProxy(run, await proxyInputs(run));
  const detail = [
    holdWrites === undefined
      ? ''
      : holdWrites
        ? holdWrites.waitAt !== undefined
          ? `hold writes (waiting at ${holdWrites.waitAt})`
          : `hold writes (Retry-After ${holdWrites.retryAfterS})`
        : 'writes served',
    forward === undefined ? '' : forward ? `forward to ${forward.to}` : 'forward off',
  ]
    .filter(Boolean)
    .join(', ');
  await audit(run.store, { action: 'proxy overrides', outcome: 'ok', detail: `${hosts.join(' ')}: ${detail || 'unchanged'}` }, run.now);
  return { reloaded };
}

function canForward(to: string): boolean {
  try {
    forwardTarget(to);
    return true;
  } catch {
    return false;
  }
}

function sorted(o: ProxyOverrides): ProxyOverrides {
  const by = <T>(r: Record<string, T>) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { holdWrites: by(o.holdWrites), forward: by(o.forward) };
}
