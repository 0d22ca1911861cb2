// Compose service keys that set container options (user, working_dir, tmpfs, cap_add/cap_drop,
// read_only, privileged, ulimits, sysctls, shm_size, init, stop_signal, restart, logging,
// extra_hosts, devices, dns, pids_limit, oom_score_adj) → ContainerOptions on the service. A value
// of the wrong shape is an error; a value Docker would refuse (a host-wide sysctl, an unknown
// capability, a CDI device) is left out with a warning that names it. Nothing is dropped silently.
import type { ContainerOptions } from '../fleet.ts';
import {
  checkDns,
  checkLogOption,
  checkStopSignal,
  checkSysctl,
  extraHost,
  type Parsed,
  parseCapability,
  parseDevice,
  parseExtraHost,
  parseRestart,
  parseTmpfs,
  parseUlimit,
} from '../container-options.ts';
import { isMap, isNull, isScalar, isSeq, type Node } from './compose-tree.ts';
import type { Entry, ReadContext } from './read-context.ts';
import { bool, int, size, str, stringMap } from './read-scalars.ts';
import type { ComposeService } from './types.ts';

export const CONTAINER_OPTION_KEYS = new Set([
  'user',
  'working_dir',
  'tmpfs',
  'cap_add',
  'cap_drop',
  'read_only',
  'privileged',
  'ulimits',
  'sysctls',
  'shm_size',
  'init',
  'stop_signal',
  'restart',
  'logging',
  'extra_hosts',
  'devices',
  'dns',
  'pids_limit',
  'oom_score_adj',
]);

/** Reads `f` into `svc.options` when it is a container-option key; false for any other key. */
export function readContainerOption(rc: ReadContext, f: Entry, path: string, svc: ComposeService): boolean {
  if (!CONTAINER_OPTION_KEYS.has(f.key)) return false;
  if (isNull(f.value)) return true; // `key:` with nothing: compose's "unset"
  const o: ContainerOptions = (svc.options ??= {});
  /** The value, or a warning naming what is left out and why. */
  const take = <T>(r: Parsed<T>, n: Node | null, p: string): T | undefined => {
    if (r.ok) return r.value;
    rc.add('warning', 'container-option-refused', p, `${r.message}; it is left out`, r.hint ?? 'fix or remove it in the compose file', rc.pos(n));
    return undefined;
  };
  const v = f.value;
  switch (f.key) {
    case 'user':
      o.user = str(rc, v, path);
      break;
    case 'working_dir':
      o.workingDir = str(rc, v, path);
      break;
    case 'tmpfs': {
      const tmpfs: Record<string, string> = {};
      const items = isSeq(v) ? v.items.map((n, i) => ({ n, p: `${path}/${i}` })) : [{ n: v, p: path }];
      for (const { n, p } of items) {
        const s = str(rc, n, p);
        const t = s === undefined ? undefined : take(parseTmpfs(s), n, p);
        if (t) tmpfs[t.path] = t.options;
      }
      o.tmpfs = tmpfs;
      break;
    }
    case 'cap_add':
    case 'cap_drop': {
      const caps: string[] = [];
      for (const { n, p, s } of strItems(rc, v, path)) {
        const c = take(parseCapability(s), n, p);
        if (c !== undefined && !caps.includes(c)) caps.push(c);
      }
      if (f.key === 'cap_add') o.capAdd = caps;
      else o.capDrop = caps;
      break;
    }
    case 'read_only':
      o.readOnly = bool(rc, v, path);
      break;
    case 'privileged':
      o.privileged = bool(rc, v, path);
      break;
    case 'init':
      o.init = bool(rc, v, path);
      break;
    case 'ulimits': {
      if (!isMap(v)) {
        rc.badType(v, path, 'a map of limits (nofile: 65536, or nofile: { soft: 1024, hard: 65536 })');
        break;
      }
      const ulimits: NonNullable<ContainerOptions['ulimits']> = {};
      for (const e of v.entries) {
        const p = `${path}/${e.key}`;
        let raw: number | { soft?: number; hard?: number } | undefined;
        if (isMap(e.value)) {
          const soft = e.value.entries.find((x) => x.key === 'soft');
          const hard = e.value.entries.find((x) => x.key === 'hard');
          raw = { soft: soft ? int(rc, soft.value, `${p}/soft`, -1) : undefined, hard: hard ? int(rc, hard.value, `${p}/hard`, -1) : undefined };
        } else raw = int(rc, e.value, p, -1);
        const u = raw === undefined ? undefined : take(parseUlimit(e.key, raw), e.keyNode, p);
        if (u) ulimits[e.key] = u;
      }
      o.ulimits = ulimits;
      break;
    }
    case 'sysctls': {
      const sysctls: Record<string, string> = {};
      for (const [name, value] of Object.entries(stringMap(rc, v, path, 'sysctls'))) {
        if (take(checkSysctl(name), v, `${path}/${name}`) !== undefined) sysctls[name] = value;
      }
      o.sysctls = sysctls;
      break;
    }
    case 'shm_size':
      o.shmSize = size(rc, v, path);
      break;
    case 'stop_signal': {
      const s = str(rc, v, path);
      if (s !== undefined) o.stopSignal = take(checkStopSignal(s), v, path);
      break;
    }
    case 'restart': {
      const s = isScalar(v) && v.value === false ? false : str(rc, v, path);
      const r = s === undefined ? undefined : take(parseRestart(s), v, path);
      if (r) {
        o.restart = r.name;
        if (r.maxRetries !== undefined) o.restartMaxRetries = r.maxRetries;
      }
      break;
    }
    case 'logging': {
      if (!isMap(v)) {
        rc.badType(v, path, 'a map with driver and options');
        break;
      }
      let driver = 'json-file';
      let options: Record<string, string> = {};
      for (const e of v.entries) {
        if (e.key === 'driver') driver = str(rc, e.value, `${path}/driver`) ?? driver;
        else if (e.key === 'options') options = stringMap(rc, e.value, `${path}/options`, 'options');
        else rc.unsupported(e, `${path}/${e.key}`, `logging "${e.key}" is not a logging setting`);
      }
      const kept: Record<string, string> = {};
      for (const [k, val] of Object.entries(options)) {
        const ok = take(checkLogOption(driver, k, val), v, `${path}/options/${k}`);
        if (ok !== undefined) kept[k] = ok;
      }
      o.logging = { driver, options: kept };
      break;
    }
    case 'extra_hosts': {
      const hosts: { host: string; ip: string }[] = [];
      if (isMap(v)) {
        for (const e of v.entries) {
          const ips = isSeq(e.value) ? e.value.items : [e.value];
          ips.forEach((n, i) => {
            const ip = str(rc, n, isSeq(e.value) ? `${path}/${e.key}/${i}` : `${path}/${e.key}`);
            const h = ip === undefined ? undefined : take(extraHost(e.key, ip), n, `${path}/${e.key}`);
            if (h) hosts.push(h);
          });
        }
      } else
        for (const { n, p, s } of strItems(rc, v, path)) {
          const h = take(parseExtraHost(s), n, p);
          if (h) hosts.push(h);
        }
      o.extraHosts = hosts;
      break;
    }
    case 'devices': {
      const devices: NonNullable<ContainerOptions['devices']> = [];
      for (const { n, p, s } of strItems(rc, v, path)) {
        const d = take(parseDevice(s), n, p);
        if (d) devices.push(d);
      }
      o.devices = devices;
      break;
    }
    case 'dns': {
      const dns: string[] = [];
      for (const { n, p, s } of strItems(rc, v, path)) {
        const d = take(checkDns(s), n, p);
        if (d !== undefined) dns.push(d);
      }
      o.dns = dns;
      break;
    }
    case 'pids_limit':
      o.pidsLimit = int(rc, v, path, -1);
      break;
    case 'oom_score_adj': {
      const n = int(rc, v, path, -1000);
      if (n !== undefined && n > 1000) rc.add('error', 'bad-value', path, `oom_score_adj ${n} is above 1000`, 'use a value between -1000 and 1000', rc.pos(v));
      else if (n !== undefined) o.oomScoreAdj = n;
      break;
    }
  }
  for (const k of Object.keys(o) as (keyof ContainerOptions)[]) if (o[k] === undefined) delete o[k];
  return true;
}

/** A string or a list of strings, each with its node and path; maps (long syntax) are refused by name. */
function strItems(rc: ReadContext, v: Node, path: string): { n: Node; p: string; s: string }[] {
  const items = isSeq(v) ? v.items.map((n, i) => ({ n, p: `${path}/${i}` })) : [{ n: v, p: path }];
  const out: { n: Node; p: string; s: string }[] = [];
  for (const { n, p } of items) {
    if (isMap(n)) {
      rc.add(
        'warning',
        'container-option-refused',
        p,
        `the long form of ${path.split('/').pop()} is not imported; it is left out`,
        'write it in the short form ("/dev/x:/dev/x:rwm")',
        rc.pos(n),
      );
      continue;
    }
    const s = str(rc, n, p);
    if (s !== undefined) out.push({ n, p, s });
  }
  return out;
}
