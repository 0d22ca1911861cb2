// container-options: each parser accepts what docker run / compose accept and refuses the rest
// with a message naming the value.
import { describe, expect, it } from 'vitest';
import {
  checkDns,
  checkLabelKey,
  checkLogOption,
  checkStopSignal,
  checkSysctl,
  parseCapability,
  parseDevice,
  parseExtraHost,
  parseRestart,
  parseTmpfs,
  parseUlimit,
} from './container-options.ts';

const value = <T>(r: { ok: true; value: T } | { ok: false; message: string }): T | string => (r.ok ? r.value : `error: ${r.message}`);

describe('parseRestart', () => {
  it.each<[string | boolean, unknown]>([
    ['no', { name: 'no' }],
    [false, { name: 'no' }],
    ['always', { name: 'always' }],
    ['unless-stopped', { name: 'unless-stopped' }],
    ['on-failure', { name: 'on-failure' }],
    ['on-failure:5', { name: 'on-failure', maxRetries: 5 }],
    ['unless-stoped', 'error: unknown restart policy "unless-stoped"'],
    ['sometimes', 'error: unknown restart policy "sometimes"'],
  ])('%s', (input, want) => expect(value(parseRestart(input))).toEqual(want));
  it('guesses the policy meant', () => {
    expect(parseRestart('unles-stopped')).toMatchObject({ ok: false, hint: 'did you mean "unless-stopped"?' });
  });
});

describe('checkSysctl', () => {
  it.each(['net.core.somaxconn', 'net.ipv4.tcp_tw_reuse', 'kernel.shmmax', 'kernel.sem', 'fs.mqueue.msg_max'])('accepts namespaced %s', (s) => {
    expect(checkSysctl(s)).toEqual({ ok: true, value: s });
  });
  it.each(['vm.max_map_count', 'kernel.pid_max', 'fs.file-max', 'vm.overcommit_memory'])('refuses host-wide %s, saying where to set it', (s) => {
    const r = checkSysctl(s);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toBe(`sysctl ${s} is not namespaced: Docker cannot set it for one container`);
      expect(r.hint).toMatch(/on the server/);
    }
  });
});

describe('parseCapability', () => {
  it.each([
    ['NET_ADMIN', 'NET_ADMIN'],
    ['net_admin', 'NET_ADMIN'],
    ['CAP_SYS_PTRACE', 'SYS_PTRACE'],
    ['ALL', 'ALL'],
    ['IPC_LOCK', 'IPC_LOCK'],
  ])('%s → %s', (input, want) => expect(value(parseCapability(input))).toBe(want));
  it('refuses an unknown name with a guess', () => {
    expect(parseCapability('NET_ADMN')).toEqual({ ok: false, message: 'unknown capability "NET_ADMN"', hint: 'did you mean "NET_ADMIN"?' });
  });
});

describe('parseUlimit', () => {
  it.each<[string, number | { soft?: number; hard?: number }, unknown]>([
    ['nofile', 65536, { soft: 65536, hard: 65536 }],
    ['nofile', { soft: 1024, hard: 65536 }, { soft: 1024, hard: 65536 }],
    ['memlock', { soft: -1, hard: -1 }, { soft: -1, hard: -1 }],
    ['nproc', { soft: 10, hard: -1 }, { soft: 10, hard: -1 }],
    ['nofile', { soft: 70000, hard: 65536 }, 'error: ulimit nofile: soft limit 70000 is above the hard limit 65536'],
    ['nofile', 1.5, 'error: ulimit nofile must be a whole number (or -1 for unlimited), got 1.5'],
    ['openfiles', 10, 'error: unknown ulimit "openfiles"'],
  ])('%s %j', (name, v, want) => expect(value(parseUlimit(name, v))).toEqual(want));
});

describe('parseExtraHost', () => {
  it.each([
    ['db.internal:10.0.0.5', { host: 'db.internal', ip: '10.0.0.5' }],
    ['db.internal=10.0.0.5', { host: 'db.internal', ip: '10.0.0.5' }],
    ['host.docker.internal:host-gateway', { host: 'host.docker.internal', ip: 'host-gateway' }],
    ['v6:::1', { host: 'v6', ip: '::1' }],
    ['v6=[fd00::5]', { host: 'v6', ip: 'fd00::5' }],
    ['db.internal', 'error: extra host "db.internal" is not "name:ip"'],
    ['db:somewhere', 'error: extra host "db" points at "somewhere", which is not an IP address'],
  ])('%s', (input, want) => expect(value(parseExtraHost(input))).toEqual(want));
});

describe('parseDevice', () => {
  it.each([
    ['/dev/fuse', { host: '/dev/fuse', container: '/dev/fuse', permissions: 'rwm' }],
    ['/dev/fuse:r', { host: '/dev/fuse', container: '/dev/fuse', permissions: 'r' }],
    ['/dev/sda:/dev/xvda', { host: '/dev/sda', container: '/dev/xvda', permissions: 'rwm' }],
    ['/dev/sda:/dev/xvda:rw', { host: '/dev/sda', container: '/dev/xvda', permissions: 'rw' }],
    ['/dev/sda:/dev/xvda:rx', 'error: device "/dev/sda:/dev/xvda:rx": "rx" is not a permission set'],
    ['nvidia.com/gpu=all', 'error: device "nvidia.com/gpu=all" must name device paths (/dev/…)'],
  ])('%s', (input, want) => expect(value(parseDevice(input))).toEqual(want));
});

describe('small checks', () => {
  it('tmpfs entries', () => {
    expect(value(parseTmpfs('/run'))).toEqual({ path: '/run', options: '' });
    expect(value(parseTmpfs('/tmp:size=64m,mode=1777'))).toEqual({ path: '/tmp', options: 'size=64m,mode=1777' });
    expect(value(parseTmpfs('tmp'))).toBe('error: tmpfs mount path "tmp" is not absolute');
  });
  it('dns servers are addresses', () => {
    expect(value(checkDns('1.1.1.1'))).toBe('1.1.1.1');
    expect(value(checkDns('dns.google'))).toBe('error: dns server "dns.google" is not an IP address');
  });
  it('stop signals', () => {
    for (const s of ['SIGTERM', 'QUIT', 'SIGRTMIN+3', '9']) expect(value(checkStopSignal(s))).toBe(s);
    expect(value(checkStopSignal('sigterm now'))).toBe('error: "sigterm now" is not a signal name');
  });
  it('labels in the slipway. namespace are refused', () => {
    expect(value(checkLabelKey('com.example.team'))).toBe('com.example.team');
    expect(checkLabelKey('slipway.project').ok).toBe(false);
  });
  it('json-file rotation options are checked; other drivers are left to Docker', () => {
    expect(value(checkLogOption('json-file', 'max-size', '50m'))).toBe('50m');
    expect(value(checkLogOption('json-file', 'max-size', '-1'))).toBe('-1');
    expect(value(checkLogOption('json-file', 'max-size', 'big'))).toBe('error: log option max-size "big" is not a size');
    expect(value(checkLogOption('local', 'max-file', '0'))).toBe('error: log option max-file "0" is not a positive whole number');
    expect(value(checkLogOption('syslog', 'max-size', 'anything'))).toBe('anything');
  });
});
