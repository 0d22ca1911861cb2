// The compose keys of one exported service that come straight from its container spec: the
// healthcheck Docker runs, and the container options (user, tmpfs, capabilities, ulimits,
// logging…) under their compose names. Pure; keys are emitted in a fixed order.
import type { ContainerOptions, HealthCheck } from '../config/fleet.ts';
import { composeBytes } from './compose-units.ts';

/** `$` → `$$`: a value Slipway already resolved must reach the container as written. */
export function escapeDollars(s: string): string {
  return s.replace(/\$/g, '$$$$');
}

/** Compose duration for milliseconds: `1m30s`, `500ms`, `5s`. */
export function composeDuration(ms: number): string {
  if (ms % 1000 !== 0) return `${ms}ms`;
  const s = ms / 1000;
  if (s >= 60 && s % 60 === 0) return `${s / 60}m`;
  if (s > 60) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${s}s`;
}

/** A Docker healthcheck for a command check; undefined for HTTP-only checks (probed from outside). */
export function composeHealthcheck(h: HealthCheck | null): Record<string, unknown> | undefined {
  if (!h?.command || h.command.length === 0) return undefined;
  return {
    test: h.command.map(escapeDollars),
    interval: composeDuration(h.intervalMs),
    timeout: composeDuration(h.timeoutMs),
    retries: h.retries,
    start_period: composeDuration(h.startPeriodMs),
  };
}

/** Compose keys for the container options that are set (`user`, `cap_add`, `ulimits`, `logging`…). */
export function composeContainerOptions(o: ContainerOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (o.user !== undefined) out.user = escapeDollars(o.user);
  if (o.workingDir !== undefined) out.working_dir = escapeDollars(o.workingDir);
  if (o.entrypoint !== undefined) out.entrypoint = o.entrypoint.map(escapeDollars);
  if (o.tmpfs !== undefined && Object.keys(o.tmpfs).length > 0)
    out.tmpfs = Object.entries(o.tmpfs)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([path, opts]) => (opts ? `${path}:${opts}` : path));
  if (o.capAdd?.length) out.cap_add = [...o.capAdd];
  if (o.capDrop?.length) out.cap_drop = [...o.capDrop];
  if (o.readOnly !== undefined) out.read_only = o.readOnly;
  if (o.privileged !== undefined) out.privileged = o.privileged;
  if (o.ulimits !== undefined && Object.keys(o.ulimits).length > 0)
    out.ulimits = Object.fromEntries(
      Object.entries(o.ulimits)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, { soft: v.soft, hard: v.hard }]),
    );
  if (o.sysctls !== undefined && Object.keys(o.sysctls).length > 0) out.sysctls = sorted(o.sysctls);
  if (o.shmSize !== undefined) out.shm_size = composeBytes(o.shmSize);
  if (o.init !== undefined) out.init = o.init;
  if (o.stopSignal !== undefined) out.stop_signal = o.stopSignal;
  if (o.logging !== undefined)
    out.logging = { driver: o.logging.driver, ...(Object.keys(o.logging.options).length ? { options: sorted(o.logging.options) } : {}) };
  if (o.extraHosts?.length) out.extra_hosts = o.extraHosts.map((h) => `${h.host}:${h.ip}`);
  if (o.devices?.length) out.devices = o.devices.map((d) => `${d.host}:${d.container}:${d.permissions}`);
  if (o.dns?.length) out.dns = [...o.dns];
  if (o.pidsLimit !== undefined) out.pids_limit = o.pidsLimit;
  if (o.oomScoreAdj !== undefined) out.oom_score_adj = o.oomScoreAdj;
  return out;
}

function sorted<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
