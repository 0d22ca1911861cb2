// Zero-downtime test helpers: run a step (a deploy, a rollback) under keep-alive load through the
// local proxy and summarise what the clients saw; list an app's containers by their labels.
import Docker from 'dockerode';
import { startLoad, type LoadReport } from '../../bench/lib/load.ts';

export interface UnderLoad<T> {
  result: T;
  report: LoadReport;
}

/**
 * Starts `connections` keep-alive clients on http://127.0.0.1:port/ (Host: host), runs `step`, stops
 * them. `retryIdleClose` makes the clients send a request again when a reused socket closes before
 * any response byte, as browsers do (see LoadOptions): for steps that reload the proxy.
 */
export async function underLoad<T>(
  port: number,
  host: string,
  connections: number,
  step: () => Promise<T>,
  opts: { retryIdleClose?: boolean } = {},
): Promise<UnderLoad<T>> {
  const load = startLoad({ url: `http://127.0.0.1:${port}/`, host, connections, keepAlive: true, ...opts });
  let result: T;
  try {
    result = await step();
  } catch (e) {
    await load.stop(); // always stop the clients, also when the step throws
    throw e;
  }
  const report = await load.stop();
  return { result, report };
}

/** One line for CI output: what the clients saw during a phase. */
export function summary(label: string, r: LoadReport): string {
  return `[zd] ${label}: ${r.requests} requests in ${r.durationMs} ms (${r.rps} rps), 2xx ${r.ok2xx}, non2xx ${JSON.stringify(r.non2xx)}, readErrors ${r.readErrors}, connectErrors ${r.connectErrors}, timeouts ${r.timeouts}, sockets ${r.socketsOpened}, ${r.idleCloseRetries > 0 ? `idle-close retries ${r.idleCloseRetries}, ` : ''}releases ${JSON.stringify(releasesSeen(r))}`;
}

/** Responses per release id, read from the echo app's JSON body prefixes. */
export function releasesSeen(r: LoadReport): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [body, n] of Object.entries(r.bodies)) {
    const m = /"release":"([^"]+)"/.exec(body);
    const key = m ? m[1]! : body.slice(0, 40);
    out[key] = (out[key] ?? 0) + n;
  }
  return out;
}

export interface AppContainer {
  name: string;
  state: string;
  release: string;
  process: string;
}

/** The app containers (role app) of one app in one environment of `project`, from the engine. */
export async function appContainers(project: string, app: string, env: string): Promise<AppContainer[]> {
  const list = await new Docker().listContainers({
    all: true,
    filters: { label: [`slipway.project=${project}`, `slipway.app=${app}`, `slipway.env=${env}`, 'slipway.role=app'] },
  });
  return list
    .map((c) => ({
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      state: c.State,
      release: c.Labels['slipway.release'] ?? '',
      process: c.Labels['slipway.process'] ?? '',
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Every container (any role) of `project` carrying `slipway.release=release`. */
export async function containersOfRelease(project: string, release: string): Promise<string[]> {
  const list = await new Docker().listContainers({ all: true, filters: { label: [`slipway.project=${project}`, `slipway.release=${release}`] } });
  return list.map((c) => (c.Names[0] ?? '').replace(/^\//, '')).sort();
}
