// Compose container options: every key docker run has an Engine API field for is read into the
// service and carried into its process; what Docker would refuse is left out with a warning that
// names it (at its line and column); restart "no" stays "no".
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../diag/diagnostic.ts';
import { composeToProcesses } from './processes.ts';
import { readCompose } from './read.ts';

const FILE = '/repo/docker-compose.yml';
const read = (text: string) => readCompose(FILE, text, { readFile: () => undefined });
const brief = (ds: Diagnostic[]) =>
  ds.filter((d) => d.severity !== 'info').map((d) => `${d.severity} ${d.code} ${d.path} @${d.pos?.line}:${d.pos?.col} ${d.message}`);

const STACK = `services:
  search:
    image: elasticsearch:8.15.0
    user: "1000:0"
    working_dir: /usr/share/elasticsearch
    entrypoint: ["/bin/tini", "--", "/usr/local/bin/docker-entrypoint.sh"]
    ulimits:
      memlock: { soft: -1, hard: -1 }
      nofile: 65536
    cap_add: [IPC_LOCK]
    cap_drop: [net_raw]
    shm_size: 256m
    init: true
    stop_signal: SIGTERM
    stop_grace_period: 1m
    labels: { com.example.team: search }
    logging:
      driver: json-file
      options: { max-size: 50m, max-file: "5" }
    pids_limit: 4096
    oom_score_adj: -100
  web:
    image: nginx:1.27
    read_only: true
    tmpfs: [/var/cache/nginx, "/run:size=8m"]
    sysctls: { net.core.somaxconn: 1024 }
    extra_hosts: ["legacy.internal:10.1.2.3", "host.docker.internal:host-gateway"]
    dns: [1.1.1.1, 9.9.9.9]
    devices: [/dev/fuse]
    restart: always
  migrate:
    image: app:1
    command: ./migrate
    restart: "no"
  flaky:
    image: app:1
    restart: on-failure:3
`;

describe('compose container options', () => {
  const r = read(STACK);

  it('reads every key without a warning', () => {
    expect(brief(r.diagnostics)).toEqual([]);
  });

  it('carries them into each process', () => {
    const { processes } = composeToProcesses(r.compose!, { project: 'p', app: 'a', env: 'prod', fleetDir: '/repo' });
    const by = (n: string) => processes.find((p) => p.name === n)!;
    expect(by('search')).toMatchObject({
      user: '1000:0',
      workingDir: '/usr/share/elasticsearch',
      entrypoint: ['/bin/tini', '--', '/usr/local/bin/docker-entrypoint.sh'],
      ulimits: { memlock: { soft: -1, hard: -1 }, nofile: { soft: 65536, hard: 65536 } },
      capAdd: ['IPC_LOCK'],
      capDrop: ['NET_RAW'],
      shmSize: 256 * 1024 ** 2,
      init: true,
      stopSignal: 'SIGTERM',
      stopTimeoutS: 60,
      labels: { 'com.example.team': 'search' },
      logging: { driver: 'json-file', options: { 'max-size': '50m', 'max-file': '5' } },
      pidsLimit: 4096,
      oomScoreAdj: -100,
    });
    expect(by('search').command).toBeUndefined();
    expect(by('web')).toMatchObject({
      readOnly: true,
      tmpfs: { '/var/cache/nginx': '', '/run': 'size=8m' },
      sysctls: { 'net.core.somaxconn': '1024' },
      extraHosts: [
        { host: 'legacy.internal', ip: '10.1.2.3' },
        { host: 'host.docker.internal', ip: 'host-gateway' },
      ],
      dns: ['1.1.1.1', '9.9.9.9'],
      devices: [{ host: '/dev/fuse', container: '/dev/fuse', permissions: 'rwm' }],
      restart: 'always',
    });
    expect(by('migrate').restart).toBe('no');
    expect(by('flaky')).toMatchObject({ restart: 'on-failure', restartMaxRetries: 3 });
  });

  it('leaves out what Docker would refuse, naming each at its position', () => {
    const bad = read(`services:
  es:
    image: elasticsearch:8.15.0
    sysctls: [vm.max_map_count=262144, net.core.somaxconn=1024]
    cap_add: [NET_ADMN]
    devices: ["nvidia.com/gpu=all"]
    restart: sometimes
    labels: { slipway.env: prod, team: search }
`);
    expect(brief(bad.diagnostics)).toEqual([
      'warning container-option-refused services/es/sysctls/vm.max_map_count @4:14 sysctl vm.max_map_count is not namespaced: Docker cannot set it for one container; it is left out',
      'warning container-option-refused services/es/cap_add/0 @5:15 unknown capability "NET_ADMN"; it is left out',
      'warning container-option-refused services/es/devices/0 @6:15 device "nvidia.com/gpu=all" must name device paths (/dev/…); it is left out',
      'warning container-option-refused services/es/restart @7:14 unknown restart policy "sometimes"; it is left out',
    ]);
    const { processes, diagnostics } = composeToProcesses(bad.compose!, { project: 'p', app: 'a', env: 'prod', fleetDir: '/repo' });
    expect(processes[0]).toMatchObject({ sysctls: { 'net.core.somaxconn': '1024' }, capAdd: [], labels: { team: 'search' } });
    expect(processes[0]!.restart).toBeUndefined();
    expect(diagnostics.filter((d) => d.code === 'label-refused').map((d) => d.path)).toEqual(['services/es/labels/slipway.env']);
  });

  it('shapes that are wrong are errors', () => {
    const bad = read('services:\n  a:\n    image: x\n    read_only: maybe\n    ulimits: 5\n    oom_score_adj: 5000\n');
    expect(brief(bad.diagnostics).map((d) => d.split(' @')[0])).toEqual([
      'error bad-type services/a/read_only',
      'error bad-type services/a/ulimits',
      'error bad-value services/a/oom_score_adj',
    ]);
  });
});
