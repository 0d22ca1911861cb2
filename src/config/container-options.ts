// Parsers and validators for container settings as fleet and compose files write them (`restart:
// on-failure:3`, `/dev/fuse:/dev/fuse:rwm`, `db.local:10.0.0.5`, `nofile: 65536`…). Each returns
// the parsed value or a message saying what is wrong; callers turn messages into Diagnostics with
// positions. Shared by the fleet schema and the compose reader so both refuse the same things.
import { isIP } from 'node:net';
import { didYouMean } from '../util/did-you-mean.ts';
import type { DeviceMapping, RestartName, Ulimit } from './fleet.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string; hint?: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(message: string, hint?: string): Parsed<T> => (hint === undefined ? { ok: false, message } : { ok: false, message, hint });

const RESTART_NAMES: readonly RestartName[] = ['no', 'always', 'unless-stopped', 'on-failure'];

/** `no`, `always`, `unless-stopped`, `on-failure`, `on-failure:3`; YAML 1.1's `no` (false) too. */
export function parseRestart(v: string | boolean): Parsed<{ name: RestartName; maxRetries?: number }> {
  if (v === false) return ok({ name: 'no' });
  if (typeof v !== 'string') return bad('expected a restart policy: "no", "always", "unless-stopped", "on-failure" or "on-failure:N"');
  const m = /^on-failure:(\d+)$/.exec(v);
  if (m) return ok({ name: 'on-failure', maxRetries: Number(m[1]) });
  if ((RESTART_NAMES as readonly string[]).includes(v)) return ok({ name: v as RestartName });
  const guess = didYouMean(v, RESTART_NAMES);
  return bad(`unknown restart policy "${v}"`, guess ? `did you mean "${guess}"?` : 'use "no", "always", "unless-stopped", "on-failure" or "on-failure:N"');
}

// Docker can set only sysctls that live in the container's own namespaces (docs: "Configure
// namespaced kernel parameters (sysctls) at runtime").
const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/** Only namespaced sysctls can be set per container; `vm.max_map_count` and friends belong to the host. */
export function checkSysctl(name: string): Parsed<string> {
  if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.') || name.startsWith('net.')) return ok(name);
  return bad(
    `sysctl ${name} is not namespaced: Docker cannot set it for one container`,
    `set it on the server instead (e.g. a file in /etc/sysctl.d/ with "${name} = …"), or remove it here`,
  );
}

// Linux capabilities as Docker knows them (without the CAP_ prefix), and ALL.
const CAPABILITIES = [
  'ALL',
  'AUDIT_CONTROL',
  'AUDIT_READ',
  'AUDIT_WRITE',
  'BLOCK_SUSPEND',
  'BPF',
  'CHECKPOINT_RESTORE',
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'IPC_LOCK',
  'IPC_OWNER',
  'KILL',
  'LEASE',
  'LINUX_IMMUTABLE',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
  'MKNOD',
  'NET_ADMIN',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_RAW',
  'PERFMON',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYSLOG',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_CHROOT',
  'SYS_MODULE',
  'SYS_NICE',
  'SYS_PACCT',
  'SYS_PTRACE',
  'SYS_RAWIO',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'WAKE_ALARM',
];

/** `net_admin`, `CAP_NET_ADMIN` → `NET_ADMIN`; unknown names are refused with a guess. */
export function parseCapability(name: string): Parsed<string> {
  const n = name.trim().toUpperCase().replace(/^CAP_/, '');
  if (CAPABILITIES.includes(n)) return ok(n);
  const guess = didYouMean(n, CAPABILITIES);
  return bad(`unknown capability "${name}"`, guess ? `did you mean "${guess}"?` : 'use a Linux capability name such as NET_ADMIN or SYS_PTRACE');
}

// The resource names Docker's --ulimit accepts.
const ULIMITS = [
  'as',
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
];

export function checkUlimitName(name: string): Parsed<string> {
  if (ULIMITS.includes(name)) return ok(name);
  const guess = didYouMean(name, ULIMITS);
  return bad(`unknown ulimit "${name}"`, guess ? `did you mean "${guess}"?` : `valid names: ${ULIMITS.join(', ')}`);
}

/** `nofile: 65536` or `nofile: { soft: 1024, hard: 65536 }`; -1 means unlimited. */
export function parseUlimit(name: string, v: number | { soft?: number; hard?: number }): Parsed<Ulimit> {
  const known = checkUlimitName(name);
  if (!known.ok) return known;
  const intOk = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= -1;
  if (typeof v === 'number') return intOk(v) ? ok({ soft: v, hard: v }) : bad(`ulimit ${name} must be a whole number (or -1 for unlimited), got ${v}`);
  const { soft, hard } = v;
  if (!intOk(soft) || !intOk(hard))
    return bad(`ulimit ${name} needs whole numbers for both soft and hard (-1 is unlimited)`, 'write { soft: 1024, hard: 65536 }, or one number for both');
  if (hard !== -1 && (soft === -1 || soft > hard))
    return bad(`ulimit ${name}: soft limit ${soft} is above the hard limit ${hard}`, 'the soft limit must not exceed the hard one');
  return ok({ soft, hard });
}

/** `host:ip`, `host=ip` (compose), `ip` may be IPv4, IPv6 or Docker's `host-gateway`. */
export function parseExtraHost(entry: string): Parsed<{ host: string; ip: string }> {
  const eq = entry.indexOf('=');
  const colon = entry.indexOf(':');
  const cut = eq >= 0 && (colon < 0 || eq < colon) ? eq : colon;
  if (cut <= 0) return bad(`extra host "${entry}" is not "name:ip"`, 'write e.g. "db.internal:10.0.0.5" or "host.docker.internal:host-gateway"');
  return extraHost(entry.slice(0, cut), entry.slice(cut + 1));
}

export function extraHost(host: string, ipRaw: string): Parsed<{ host: string; ip: string }> {
  const ip = ipRaw.replace(/^\[(.*)\]$/, '$1');
  if (!/^[A-Za-z0-9_.-]+$/.test(host)) return bad(`extra host name "${host}" is not a hostname`);
  if (ip !== 'host-gateway' && isIP(ip) === 0)
    return bad(`extra host "${host}" points at "${ipRaw}", which is not an IP address`, 'use an IPv4/IPv6 address or "host-gateway"');
  return ok({ host, ip });
}

/** `/dev/fuse`, `/dev/sda:/dev/xvda`, `/dev/sda:/dev/xvda:rw`, `/dev/fuse:rwm`. */
export function parseDevice(entry: string): Parsed<DeviceMapping> {
  const parts = entry.split(':');
  const perms = (p: string | undefined) => p !== undefined && /^[rwm]{1,3}$/.test(p);
  let host = parts[0] ?? '';
  let container = host;
  let permissions = 'rwm';
  if (parts.length === 2) {
    if (perms(parts[1])) permissions = parts[1]!;
    else container = parts[1]!;
  } else if (parts.length === 3) {
    container = parts[1]!;
    if (!perms(parts[2])) return bad(`device "${entry}": "${parts[2]}" is not a permission set`, 'permissions are some of r, w and m (e.g. rwm)');
    permissions = parts[2]!;
  } else if (parts.length > 3) return bad(`device "${entry}" is not "host[:container[:permissions]]"`);
  host = host.trim();
  if (!host.startsWith('/') || !container.startsWith('/'))
    return bad(`device "${entry}" must name device paths (/dev/…)`, 'CDI device names (vendor.com/class=name) are not supported; give the /dev path');
  return ok({ host, container, permissions });
}

/** A tmpfs entry as compose writes it: `/run` or `/run:size=64m,mode=1777`. */
export function parseTmpfs(entry: string): Parsed<{ path: string; options: string }> {
  const colon = entry.indexOf(':');
  const path = colon < 0 ? entry : entry.slice(0, colon);
  const options = colon < 0 ? '' : entry.slice(colon + 1);
  return tmpfsMount(path, options);
}

export function tmpfsMount(path: string, options: string): Parsed<{ path: string; options: string }> {
  if (!path.startsWith('/')) return bad(`tmpfs mount path "${path}" is not absolute`, 'write an absolute path such as /tmp');
  return ok({ path, options });
}

/** Resolvers for `dns:`: IP addresses only (Docker writes them into /etc/resolv.conf). */
export function checkDns(ip: string): Parsed<string> {
  return isIP(ip) === 0 ? bad(`dns server "${ip}" is not an IP address`, 'give the resolver as an address, e.g. 1.1.1.1') : ok(ip);
}

/** `SIGTERM`, `TERM`, `SIGRTMIN+3` or a number. */
export function checkStopSignal(sig: string): Parsed<string> {
  return /^(SIG)?[A-Z][A-Z0-9]*([+-]\d+)?$/.test(sig) || /^\d+$/.test(sig)
    ? ok(sig)
    : bad(`"${sig}" is not a signal name`, 'use e.g. SIGTERM, SIGQUIT or SIGINT');
}

/** Labels in the `slipway.` namespace are Slipway's own (ownership, release, spec hash). */
export function checkLabelKey(key: string): Parsed<string> {
  if (key.startsWith('slipway.'))
    return bad(`label "${key}" is in the slipway. namespace, which Slipway uses to recognise its own containers`, 'rename the label (e.g. com.example.…)');
  if (key === '') return bad('a label needs a name');
  return ok(key);
}

/** json-file and local rotate by size: `10m`, `1g`, `500k`. Anything else Docker refuses at create. */
export function checkLogOption(driver: string, key: string, value: string): Parsed<string> {
  if (driver !== 'json-file' && driver !== 'local') return ok(value);
  if (key === 'max-size' && value !== '-1' && !/^\d+(\.\d+)?\s*([kKmMgG][bB]?|[bB])?$/.test(value))
    return bad(`log option max-size "${value}" is not a size`, 'write e.g. 10m, 100k or 1g ("-1" turns rotation off)');
  if (key === 'max-file' && !/^[1-9]\d*$/.test(value)) return bad(`log option max-file "${value}" is not a positive whole number`, 'write e.g. 3');
  return ok(value);
}
