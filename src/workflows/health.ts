// Readiness of a freshly started container, checked from the server's side: an HTTP GET of its
// health path (or a TCP connect to its port) through the Dialer — no curl or wget needed in the
// image; a command check (compose's `pg_isready`…) is the container's Docker healthcheck, and
// Docker's `healthy` decides, port or not. Workers must still be running, unrestarted, after a
// short settle time.
import type { ContainerSpec } from '../plan/desire/desired.ts';
import { UserError } from '../diag/errors.ts';
import { redactSecrets, type Secret } from '../util/secret.ts';
import { httpProbe } from './http-probe.ts';
import type { ServerRun } from './server-run.ts';

export class UnhealthyError extends UserError {
  constructor(
    readonly container: string,
    reason: string,
    readonly logTail: string,
  ) {
    super(
      `${container} did not become healthy: ${reason}${logTail ? `\n--- last log lines of ${container} ---\n${logTail}` : ''}`,
      'the previous release keeps serving; fix the cause and deploy again',
    );
    this.name = 'UnhealthyError';
  }
}

export async function waitReady(
  run: ServerRun,
  id: string,
  spec: ContainerSpec,
  secrets: readonly Secret[],
  opts: { workerSettleMs?: number } = {},
): Promise<void> {
  const { engine, dialer } = run.conn;
  // Probed from the server: an address on a network the host routes to comes first; an
  // `internal` network (compose `internal: true`) is the last resort (Docker 25.0.0-25.0.3 gave
  // its bridge no address on the host).
  const internal = new Set(run.state.networks.filter((n) => n.internal).map((n) => n.name));
  const nets = [...spec.networks.filter((n) => !internal.has(n.network)), ...spec.networks.filter((n) => internal.has(n.network))].map((n) => n.network);
  const fail = async (reason: string): Promise<never> => {
    const logs = await engine.containerLogs(id, { tail: 20 }).catch(() => '');
    throw new UnhealthyError(spec.name, reason, redactSecrets(logs.trimEnd(), secrets));
  };
  const h = spec.health;
  // A command check (compose `pg_isready`, `redis-cli ping`…) is the container's Docker
  // healthcheck: Docker's `healthy` gates the rollout, with or without a port.
  const byDocker = h?.command !== undefined && h.path === undefined;
  const settle = async () => {
    await run.sleep(opts.workerSettleMs ?? 1000);
    const info = await engine.inspectContainer(id);
    // A one-off task (`restart: "no"`, a migration) is done, not dead, when it exits 0.
    if (spec.restart === 'no' && info.state === 'exited' && info.exitCode === 0) return;
    if (info.state !== 'running') await fail(`it exited with code ${info.exitCode}`);
    if (info.restartCount > 0) await fail(`it restarted ${info.restartCount} time(s)`);
  };
  if (spec.port === undefined && !byDocker) return settle();
  const interval = h?.intervalMs ?? 1000;
  // Docker decides within start period + (retries + 1) × (interval + timeout); the extra 5 s is slack.
  const deadline = byDocker
    ? run.now() + h.startPeriodMs + (h.retries + 1) * (h.intervalMs + h.timeoutMs) + 5000
    : run.now() + (h?.startPeriodMs ?? 0) + (h?.retries ?? 30) * interval + (h?.timeoutMs ?? 3000);
  let last = 'no attempt yet';
  const started = run.now();
  for (;;) {
    const info = await engine.inspectContainer(id);
    if (spec.restart === 'no' && info.state === 'exited' && info.exitCode === 0) return; // a one-off task, done
    if (info.state !== 'running' && info.state !== 'restarting') await fail(`it exited with code ${info.exitCode}`);
    // No health reported (a container made before its check was a Docker healthcheck): a worker settles.
    if (spec.port === undefined && info.health === 'none') return settle();
    const ip = nets.map((n) => info.ipAddresses[n]).find(Boolean) || Object.values(info.ipAddresses).find(Boolean);
    // A command check (compose `pg_isready`, `redis-cli ping`…) runs inside the container: its
    // Docker health status decides; while the engine reports none, the port must accept connections.
    const by = h?.path !== undefined ? 'http' : h?.command !== undefined && info.health !== 'none' ? 'docker' : 'tcp';
    if (by === 'docker') {
      if (info.health === 'healthy') {
        if (info.restartCount > 0) await fail(`it restarted ${info.restartCount} time(s)`);
        return;
      }
      if (info.health === 'unhealthy') await fail(`its health check ${JSON.stringify(h?.command)} failed`);
      last = `Docker health is ${info.health}`;
    } else if (ip && spec.port !== undefined) {
      if (by === 'http' && h?.path !== undefined) {
        const r = await httpProbe(dialer, ip, spec.port, h.path, h.timeoutMs);
        if (r.ok) return;
        last = r.status !== undefined ? `GET ${h.path} answered ${r.status}` : `GET ${h.path}: ${r.error}`;
      } else {
        try {
          const s = await dialer.dial(ip, spec.port, 2000);
          s.destroy();
          return;
        } catch (e) {
          last = `port ${spec.port}: ${(e as Error).message}`;
        }
      }
    }
    if (run.now() > deadline) await fail(`${last} (gave up after ${Math.round((run.now() - started) / 1000)} s)`);
    // Poll briskly (50 ms for the first 2 s, when a fresh process is about to listen, then
    // 250 ms): a deploy waits on this; the deadline above still follows interval × retries.
    await run.sleep(run.now() - started < 2000 ? 50 : Math.min(interval, 250));
  }
}
