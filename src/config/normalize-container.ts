// Container keys of a process or service as written in slipway.yaml (schema-valid) → ContainerOptions.
// Values the engine would refuse (a host-wide sysctl, an unknown capability, a device that is no
// path, a `slipway.` label…) are errors here, each at its own key with a hint; nothing is dropped.
import type { Diagnostic } from '../diag/diagnostic.ts';
import { splitShellWords } from '../util/shell-words.ts';
import { parseSize } from '../util/size.ts';
import {
  checkDns,
  checkLabelKey,
  checkLogOption,
  checkStopSignal,
  checkSysctl,
  checkUlimitName,
  extraHost,
  type Parsed,
  parseCapability,
  parseDevice,
  parseExtraHost,
  parseRestart,
  parseTmpfs,
  parseUlimit,
  tmpfsMount,
} from './container-options.ts';
import type { ContainerOptions, LogConfig } from './fleet.ts';
import { forEnv } from './per-env.ts';
import type { RawContainerKeys } from './schema.ts';
import type { PathPart, YamlSource } from './yaml-source.ts';

export interface ContainerNormalizeContext {
  src: YamlSource;
  diagnostics: Diagnostic[];
}

/** Normalizes the container keys at `base` (e.g. ['apps', 'api', 'processes', 'web']) for one environment. */
export function normalizeContainerKeys(
  raw: RawContainerKeys,
  base: PathPart[],
  env: string,
  envNames: readonly string[],
  ctx: ContainerNormalizeContext,
): ContainerOptions {
  const out: ContainerOptions = {};
  const at = (...p: PathPart[]): PathPart[] => [...base, ...p];
  /** The value, or an error at `path` (at the key itself when `onKey`: a bad sysctl or label name). */
  const take = <T>(r: Parsed<T>, path: PathPart[], onKey = false): T | undefined => {
    if (r.ok) return r.value;
    ctx.diagnostics.push({
      severity: 'error',
      code: 'bad-value',
      path: path.join('/'),
      message: r.message,
      ...(r.hint ? { hint: r.hint } : {}),
      pos: onKey ? ctx.src.posOfKey(path.slice(0, -1), String(path[path.length - 1])) : ctx.src.posOf(path),
    });
    return undefined;
  };

  if (raw.user !== undefined) out.user = String(raw.user);
  if (raw.working_dir !== undefined) out.workingDir = raw.working_dir;
  if (raw.entrypoint !== undefined) {
    if (Array.isArray(raw.entrypoint)) out.entrypoint = [...raw.entrypoint];
    else {
      try {
        out.entrypoint = splitShellWords(raw.entrypoint);
      } catch (e) {
        take({ ok: false, message: (e as Error).message, hint: 'close the quote, or write the entrypoint as an argv list' }, at('entrypoint'));
      }
    }
  }
  if (raw.tmpfs !== undefined) {
    const tmpfs: Record<string, string> = {};
    const add = (r: Parsed<{ path: string; options: string }>, path: PathPart[]) => {
      const v = take(r, path);
      if (v) tmpfs[v.path] = v.options;
    };
    if (typeof raw.tmpfs === 'string') add(parseTmpfs(raw.tmpfs), at('tmpfs'));
    else if (Array.isArray(raw.tmpfs)) raw.tmpfs.forEach((t, i) => add(parseTmpfs(t), at('tmpfs', i)));
    else for (const [p, o] of Object.entries(raw.tmpfs)) add(tmpfsMount(p, o), at('tmpfs', p));
    out.tmpfs = tmpfs;
  }
  for (const [key, field] of [
    ['cap_add', 'capAdd'],
    ['cap_drop', 'capDrop'],
  ] as const) {
    const list = raw[key];
    if (list === undefined) continue;
    const caps: string[] = [];
    list.forEach((c, i) => {
      const v = take(parseCapability(c), at(key, i));
      if (v !== undefined && !caps.includes(v)) caps.push(v);
    });
    out[field] = caps;
  }
  if (raw.read_only !== undefined) out.readOnly = raw.read_only;
  if (raw.privileged !== undefined) out.privileged = raw.privileged;
  if (raw.init !== undefined) out.init = raw.init;
  if (raw.ulimits !== undefined) {
    const ulimits: NonNullable<ContainerOptions['ulimits']> = {};
    for (const [name, v] of Object.entries(raw.ulimits)) {
      if (take(checkUlimitName(name), at('ulimits', name), true) === undefined) continue;
      const u = take(parseUlimit(name, v), at('ulimits', name));
      if (u) ulimits[name] = u;
    }
    out.ulimits = ulimits;
  }
  if (raw.sysctls !== undefined) {
    const sysctls: Record<string, string> = {};
    for (const [name, v] of Object.entries(raw.sysctls)) if (take(checkSysctl(name), at('sysctls', name), true) !== undefined) sysctls[name] = String(v);
    out.sysctls = sysctls;
  }
  if (raw.shm_size !== undefined) out.shmSize = parseSize(raw.shm_size);
  if (raw.stop_signal !== undefined) {
    const s = take(checkStopSignal(raw.stop_signal), at('stop_signal'));
    if (s !== undefined) out.stopSignal = s;
  }
  if (raw.restart !== undefined) {
    const r = take(parseRestart(raw.restart), at('restart'));
    if (r) {
      out.restart = r.name;
      if (r.maxRetries !== undefined) out.restartMaxRetries = r.maxRetries;
    }
  }
  if (raw.labels !== undefined) {
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw.labels)) if (take(checkLabelKey(k), at('labels', k), true) !== undefined) labels[k] = String(v);
    out.labels = labels;
  }
  if (raw.logging !== undefined) {
    const l = normalizeLogging(raw.logging, at('logging'), ctx);
    if (l) out.logging = l;
  }
  if (raw.extra_hosts !== undefined) {
    const hosts: { host: string; ip: string }[] = [];
    const add = (h: { host: string; ip: string } | undefined) => {
      if (h) hosts.push(h);
    };
    if (Array.isArray(raw.extra_hosts)) raw.extra_hosts.forEach((e, i) => add(take(parseExtraHost(e), at('extra_hosts', i))));
    else for (const [h, ip] of Object.entries(raw.extra_hosts)) add(take(extraHost(h, ip), at('extra_hosts', h)));
    out.extraHosts = hosts;
  }
  if (raw.devices !== undefined) {
    const devices: NonNullable<ContainerOptions['devices']> = [];
    raw.devices.forEach((d, i) => {
      const v = take(parseDevice(d), at('devices', i));
      if (v) devices.push(v);
    });
    out.devices = devices;
  }
  if (raw.dns !== undefined) {
    const list = typeof raw.dns === 'string' ? [raw.dns] : raw.dns;
    const dns: string[] = [];
    list.forEach((d, i) => {
      const v = take(checkDns(d), typeof raw.dns === 'string' ? at('dns') : at('dns', i));
      if (v !== undefined) dns.push(v);
    });
    out.dns = dns;
  }
  const pids = forEnv(raw.pids_limit, env, envNames);
  if (pids !== undefined) out.pidsLimit = pids;
  const oom = forEnv(raw.oom_score_adj, env, envNames);
  if (oom !== undefined) out.oomScoreAdj = oom;
  return out;
}

/** `logging: { driver, options }`; no driver means json-file (Slipway's default, which rotates). */
export function normalizeLogging(
  raw: { driver?: string; options?: Record<string, string | number> },
  path: PathPart[],
  ctx: ContainerNormalizeContext,
): LogConfig | undefined {
  const driver = raw.driver ?? 'json-file';
  const options: Record<string, string> = {};
  let ok = true;
  for (const [k, v] of Object.entries(raw.options ?? {})) {
    const r = checkLogOption(driver, k, String(v));
    if (!r.ok) {
      ok = false;
      const p = [...path, 'options', k];
      ctx.diagnostics.push({
        severity: 'error',
        code: 'bad-value',
        path: p.join('/'),
        message: r.message,
        ...(r.hint ? { hint: r.hint } : {}),
        pos: ctx.src.posOf(p),
      });
      continue;
    }
    options[k] = r.value;
  }
  return ok ? { driver, options } : undefined;
}
