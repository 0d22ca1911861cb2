// Container keys in slipway.yaml: each is normalized into ProcessSpec / SharedService /
// Environment, and each bad value is an error at its own line and column, with a hint.
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../diag/diagnostic.ts';
import { loadFleet } from './load.ts';

const FILE = '/fleet/slipway.yaml';
const load = (text: string) => loadFleet(FILE, { text, importCompose: () => ({ processes: [], volumes: [], diagnostics: [] }) });
const brief = (ds: Diagnostic[]) => ds.filter((d) => d.severity !== 'info').map((d) => `${d.pos?.line}:${d.pos?.col} ${d.path} ${d.message}`);

const HEAD = `project: acme
servers:
  main: { local: true }
environments:
  prod: { server: main, protected: true }
  staging: { server: main, pids_limit: 512, logging: { options: { max-size: 5m } } }
  dev: { server: main, oom_score_adj: 900 }
`;

describe('container keys: normalized', () => {
  const res = load(`${HEAD}services:
  search:
    image: elasticsearch:8.15.0
    ulimits: { memlock: { soft: -1, hard: -1 }, nofile: 65536 }
    shm_size: 256m
    stop_grace_period: 1m
apps:
  api:
    image: acme/api:1
    processes:
      web:
        port: 3000
        user: 1000
        working_dir: /srv
        entrypoint: ["/usr/bin/tini", "--"]
        command: node server.js
        read_only: true
        tmpfs: ["/tmp:size=64m", /run]
        cap_add: [net_bind_service]
        cap_drop: [ALL]
        init: true
        stop_signal: SIGQUIT
        stop_grace_period: 45s
        labels: { com.example.team: payments, tier: 1 }
        sysctls: { net.core.somaxconn: 1024 }
        extra_hosts: ["db.internal:10.0.0.5", "host.docker.internal:host-gateway"]
        devices: [/dev/fuse]
        dns: 1.1.1.1
        pids_limit: { prod: 2048, default: 256 }
        oom_score_adj: { dev: 1000 }
        logging: { driver: local, options: { max-size: 20m } }
      migrate:
        command: ./migrate
        restart: "no"
      retry:
        restart: on-failure:3
`);

  it('loads without errors or warnings', () => {
    expect(brief(res.diagnostics)).toEqual([]);
  });

  it('carries every key into the process, resolving per-environment values', () => {
    const procs = (env: string) => res.fleet!.apps[0]!.perEnv[env]!.processes;
    const web = procs('prod').find((p) => p.name === 'web')!;
    expect(web).toMatchObject({
      user: '1000',
      workingDir: '/srv',
      entrypoint: ['/usr/bin/tini', '--'],
      command: ['node', 'server.js'],
      readOnly: true,
      tmpfs: { '/tmp': 'size=64m', '/run': '' },
      capAdd: ['NET_BIND_SERVICE'],
      capDrop: ['ALL'],
      init: true,
      stopSignal: 'SIGQUIT',
      stopTimeoutS: 45,
      labels: { 'com.example.team': 'payments', tier: '1' },
      sysctls: { 'net.core.somaxconn': '1024' },
      extraHosts: [
        { host: 'db.internal', ip: '10.0.0.5' },
        { host: 'host.docker.internal', ip: 'host-gateway' },
      ],
      devices: [{ host: '/dev/fuse', container: '/dev/fuse', permissions: 'rwm' }],
      dns: ['1.1.1.1'],
      pidsLimit: 2048,
      logging: { driver: 'local', options: { 'max-size': '20m' } },
    });
    expect(web.oomScoreAdj).toBeUndefined();
    expect(procs('staging').find((p) => p.name === 'web')).toMatchObject({ pidsLimit: 256 });
    expect(procs('dev').find((p) => p.name === 'web')).toMatchObject({ pidsLimit: 256, oomScoreAdj: 1000 });
    expect(procs('prod').find((p) => p.name === 'migrate')).toMatchObject({ restart: 'no' });
    expect(procs('prod').find((p) => p.name === 'retry')).toMatchObject({ restart: 'on-failure', restartMaxRetries: 3 });
  });

  it('makes each environment’s OOM score explicit, and keeps its logging and pids limit', () => {
    expect(res.fleet!.environments.map((e) => [e.name, e.containers])).toEqual([
      ['prod', { oomScoreAdj: 0 }],
      ['staging', { oomScoreAdj: 300, pidsLimit: 512, logging: { driver: 'json-file', options: { 'max-size': '5m' } } }],
      ['dev', { oomScoreAdj: 900 }],
    ]);
  });

  it('carries service keys', () => {
    expect(res.fleet!.services[0]).toMatchObject({
      ulimits: { memlock: { soft: -1, hard: -1 }, nofile: { soft: 65536, hard: 65536 } },
      shmSize: 256 * 1024 ** 2,
      stopTimeoutS: 60,
    });
  });

  it('reads YAML 1.1 style restart: no as the policy "no"', () => {
    const r = load(`${HEAD}apps:\n  api:\n    image: a:1\n    processes:\n      task: { restart: no }\n`);
    expect(brief(r.diagnostics)).toEqual([]);
    expect(r.fleet!.apps[0]!.perEnv.prod!.processes[0]!.restart).toBe('no');
  });
});

describe('container keys: over an imported compose process', () => {
  it('fleet settings override the compose service’s field by field; labels merge', () => {
    const imported = {
      name: 'search',
      health: null,
      replicas: 1,
      singleton: false,
      env: {},
      volumes: {},
      dependsOn: [],
      stopTimeoutS: 10,
      user: '1000',
      ulimits: { nofile: { soft: 65536, hard: 65536 } },
      labels: { team: 'search', tier: 'data' },
      restart: 'always' as const,
    };
    const res = loadFleet(FILE, {
      text: `${HEAD}apps:
  stack:
    compose: docker-compose.yml
    processes:
      search: { restart: on-failure:2, labels: { tier: hot }, stop_grace_period: 2m, pids_limit: 8192 }
`,
      importCompose: () => ({ processes: [structuredClone(imported)], volumes: [], diagnostics: [] }),
    });
    expect(brief(res.diagnostics)).toEqual([]);
    expect(res.fleet!.apps[0]!.perEnv.prod!.processes[0]).toMatchObject({
      user: '1000',
      ulimits: { nofile: { soft: 65536, hard: 65536 } },
      labels: { team: 'search', tier: 'hot' },
      restart: 'on-failure',
      restartMaxRetries: 2,
      stopTimeoutS: 120,
      pidsLimit: 8192,
    });
  });
});

describe('container keys: every bad value is named at its position', () => {
  it('reports each problem of a process at once', () => {
    const res = load(`${HEAD}apps:
  api:
    image: acme/api:1
    processes:
      web:
        sysctls: { vm.max_map_count: 262144, net.core.somaxconn: 1024 }
        cap_add: [NET_ADMN]
        labels: { slipway.app: other }
        devices: ["nvidia.com/gpu=all"]
        extra_hosts: ["db:nowhere"]
        ulimits: { nofile: { soft: 10, hard: 5 }, openfiles: 3 }
        restart: sometimes
        logging: { options: { max-size: huge } }
        dns: [dns.google]
        stop_signal: "kill it"
        tmpfs: [tmp]
        stop_timeout: 5
        stop_grace_period: 5s
`);
    expect(res.fleet).toBeUndefined();
    expect(brief(res.diagnostics)).toEqual([
      '13:20 apps/api/processes/web/sysctls/vm.max_map_count sysctl vm.max_map_count is not namespaced: Docker cannot set it for one container',
      '14:19 apps/api/processes/web/cap_add/0 unknown capability "NET_ADMN"',
      '15:19 apps/api/processes/web/labels/slipway.app label "slipway.app" is in the slipway. namespace, which Slipway uses to recognise its own containers',
      '16:19 apps/api/processes/web/devices/0 device "nvidia.com/gpu=all" must name device paths (/dev/…)',
      '17:23 apps/api/processes/web/extra_hosts/0 extra host "db" points at "nowhere", which is not an IP address',
      '18:28 apps/api/processes/web/ulimits/nofile ulimit nofile: soft limit 10 is above the hard limit 5',
      '18:51 apps/api/processes/web/ulimits/openfiles unknown ulimit "openfiles"',
      '19:18 apps/api/processes/web/restart unknown restart policy "sometimes"',
      '20:41 apps/api/processes/web/logging/options/max-size log option max-size "huge" is not a size',
      '21:15 apps/api/processes/web/dns/0 dns server "dns.google" is not an IP address',
      '22:22 apps/api/processes/web/stop_signal "kill it" is not a signal name',
      '23:17 apps/api/processes/web/tmpfs/0 tmpfs mount path "tmp" is not absolute',
      '25:28 apps/api/processes/web/stop_grace_period process "web" sets both stop_timeout and stop_grace_period',
    ]);
    const sysctl = res.diagnostics.find((d) => d.path.endsWith('vm.max_map_count'))!;
    expect(sysctl.hint).toMatch(/sysctl\.d/);
    expect(res.diagnostics.find((d) => d.path.endsWith('cap_add/0'))!.hint).toBe('did you mean "NET_ADMIN"?');
  });

  it('refuses shapes with a readable message', () => {
    const res = load(`${HEAD}apps:
  api:
    image: acme/api:1
    processes:
      web:
        oom_score_adj: 2000
        pids_limit: lots
        read_only: "yes"
        ulimits: { nofile: "many" }
`);
    expect(brief(res.diagnostics)).toEqual([
      '13:24 apps/api/processes/web/oom_score_adj expected a value between -1000 and 1000',
      '14:21 apps/api/processes/web/pids_limit expected a pids limit, or a map of environment → a pids limit (with an optional "default")',
      '15:20 apps/api/processes/web/read_only expected boolean, got string',
      '16:28 apps/api/processes/web/ulimits/nofile expected a number, or { soft: N, hard: N }',
    ]);
  });

  it('refuses per-environment maps on a shared service', () => {
    const res = load(`${HEAD}services:\n  redis:\n    image: redis:7\n    oom_score_adj: { prod: -100, default: 0 }\n`);
    expect(brief(res.diagnostics)).toEqual([
      '11:20 services/redis/oom_score_adj oom_score_adj of service "redis" is a map of environments, but a shared service has one value',
    ]);
  });

  it('refuses unknown keys next to them with a guess', () => {
    const res = load(`${HEAD}apps:\n  api:\n    image: a:1\n    processes:\n      web: { cap_ad: [NET_ADMIN] }\n`);
    expect(res.diagnostics.map((d) => [d.message, d.hint])).toEqual([['unknown key "cap_ad" in apps/api/processes/web', 'did you mean "cap_add"?']]);
  });
});
