// Schedules through `slipway serve` end to end on a simulated host (hostA over SSH): a fleet with
// one environment backed up on a 6-field cron (every 15 s) and drilled (`backup verify`) on
// control_plane.schedules (5 s after each backup), served with the schedule part. The scheduled
// backup and drill run through the CLI's workflows and show in the API: /api/schedules lists
// each job with its next 3 times and last run, /api/envs/prod/backups the backup with its
// verification; each run is audited as by "schedule" and never overlaps itself. Then serve stops,
// two slots pass, serve starts again: each job is caught up exactly once (not once per slot).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../src/cli/context.ts';
import { registerServe, workflowServeOps } from '../src/cli/commands/serve.ts';
import { connectSsh } from '../src/engine/ssh-connect.ts';
import { schedulePart } from '../src/server/parts/schedule-part.ts';
import { ensureImages } from './harness/engine.ts';
import { type HarnessHosts, hostsUp, loadImagesIntoHosts } from './harness/hosts.ts';
import { slipwayOk } from './support/cli.ts';
import { cleanupProjectOn, hostDocker } from './support/multi-hosts.ts';
import { uniqueProject } from './support/project.ts';

const PASSWORD = 'a long admin passphrase for schedules';
const BACKUP_CRON = '*/15 * * * * *';
const VERIFY_CRON = '5,20,35,50 * * * * *';

let hosts: HarnessHosts;
let dir: string;
let project: string;
let identity: string;
let cliEnv: Record<string, string>;

interface Job {
  id: string;
  kind: string;
  env?: string;
  cron: string;
  next: string[];
  lastRun?: { at: string; outcome: string; durationMs: number; error?: string; trigger: string };
  running: boolean;
}

/** A running `slipway serve --dev` in this process with the schedule part; `stop()` ends it. */
interface Serve {
  url: string;
  log: string[];
  stop(): Promise<void>;
}

async function startServe(): Promise<Serve> {
  const out: string[] = [];
  const log: string[] = [];
  const ctx: CliContext = {
    stdout: { write: (t) => void out.push(t) },
    stderr: { write: (t) => void log.push(t) },
    cwd: dir,
    env: { SLIPWAY_ADMIN_PASSWORD: PASSWORD, SLIPWAY_AGE_KEY: identity },
    color: false,
    now: Date.now,
    connector: (server) => connectSsh(server, { knownHostsPath: hosts.knownHostsPath, identityPath: hosts.sshKeyPath }),
  };
  const abort = new AbortController();
  const program = new Command('slipway').exitOverride();
  registerServe(program, ctx, { ops: workflowServeOps(ctx), parts: [schedulePart], signal: abort.signal, bcryptCost: 4 });
  const running = program.parseAsync(['serve', '--dev', '--port', '0', '--json', '--admin', 'root'], { from: 'user' });
  let failed: unknown;
  running.catch((e) => (failed = e));
  const t0 = Date.now();
  while (out.length === 0 && failed === undefined) {
    if (Date.now() - t0 > 60_000) throw new Error(`serve did not start:\n${log.join('')}`);
    await sleep(50);
  }
  if (failed) throw failed;
  const { url } = JSON.parse(out.join('')) as { url: string };
  return {
    url,
    log,
    stop: async () => {
      abort.abort();
      await running;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function login(url: string): Promise<Record<string, string>> {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'root', password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  return { cookie: res.headers.get('set-cookie')!.split(';')[0]! };
}

async function getJson<T>(url: string, path: string, headers: Record<string, string>): Promise<T> {
  const res = await fetch(`${url}${path}`, { headers });
  const body = (await res.json()) as T;
  expect(res.status, `${path}: ${JSON.stringify(body)}`).toBe(200);
  return body;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, log: string[]): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}; serve's log:\n${log.join('')}`);
    await sleep(500);
  }
}

/** The job's log lines (`schedules: ID: …`) in order. */
const linesOf = (log: string[], id: string) =>
  log
    .join('')
    .split('\n')
    .filter((l) => l.startsWith(`schedules: ${id}: `));

const scheduleLines = (log: string[]) =>
  log
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('schedules: '))
    .join('\n');

/** Starts and ends of one job alternate: a run never began while the previous one still went. */
function expectNoOverlap(log: string[], id: string): void {
  let open = false;
  for (const l of linesOf(log, id)) {
    if (/: started \(/.test(l)) {
      expect(open, `${id} started again before its run ended:\n${linesOf(log, id).join('\n')}`).toBe(false);
      open = true;
    } else if (/: (ok|failed) in \d+ ms/.test(l)) open = false;
  }
}

beforeAll(async () => {
  hosts = await hostsUp();
  await ensureImages(['busybox', 'caddy']);
  await loadImagesIntoHosts(['busybox:1.36', 'caddy:2'], ['hostA']);
  dir = mkdtempSync(join(tmpdir(), 'slipway-serve-sched-'));
  project = uniqueProject('sched');
  identity = await generateX25519Identity();
  const httpPort = 30000 + Math.floor(Math.random() * 9000);
  const fleet = `project: ${project}
servers:
  vps1: { ssh: root@${hosts.hosts.hostA.ip}, memory: 2GiB, proxy: caddy, http_port: ${httpPort} }
environments:
  prod:
    server: vps1
    deploy: any
    tls: "off"
    backup: { to: [local], schedule: "${BACKUP_CRON}" }
backups:
  recipients: [${await identityToRecipient(identity)}]
control_plane:
  schedules: { verify: "${VERIFY_CRON}" }
apps:
  store:
    image: busybox:1.36
    volumes: { data: /data }
    processes:
      worker: { command: "sleep 1000000", memory: 32MiB }
`;
  writeFileSync(join(dir, 'slipway.yaml'), fleet);
  cliEnv = { SLIPWAY_SSH_KEY: hosts.sshKeyPath, SLIPWAY_KNOWN_HOSTS: hosts.knownHostsPath, SSH_AUTH_SOCK: '' };
  await slipwayOk(['up'], { cwd: dir, env: cliEnv });
  await slipwayOk(['deploy', 'store', 'prod'], { cwd: dir, env: cliEnv });
}, 600_000);

afterAll(async () => {
  if (hosts && project) await cleanupProjectOn(hostDocker(hosts, 'hostA'), project);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 300_000);

describe('slipway serve: scheduled backups and drills', () => {
  it('runs the backup and the drill on their crons, lists them with next times and last run, audits them, never overlapping', async () => {
    const serve = await startServe();
    try {
      const h = await login(serve.url);
      const done = await until(
        'a scheduled backup and a passing drill',
        async () => {
          const { jobs } = await getJson<{ jobs: Job[] }>(serve.url, '/api/schedules', h);
          const b = jobs.find((j) => j.id === 'backup:prod');
          const v = jobs.find((j) => j.id === 'backup-verify:prod');
          return b?.lastRun?.outcome === 'ok' && v?.lastRun?.outcome === 'ok' ? jobs : undefined;
        },
        150_000,
        serve.log,
      );
      const t = Date.now();
      expect(done.map((j) => [j.id, j.kind, j.env, j.cron])).toEqual([
        ['backup:prod', 'backup', 'prod', BACKUP_CRON],
        ['backup-verify:prod', 'backup-verify', 'prod', VERIFY_CRON],
      ]);
      for (const j of done) {
        expect(j.next).toHaveLength(3);
        const times = j.next.map((x) => Date.parse(x));
        expect(times[0]! > t - 2_000).toBe(true);
        expect(times[1]! - times[0]!).toBe(15_000);
        expect(times[2]! - times[1]!).toBe(15_000);
        expect(j.lastRun).toMatchObject({ outcome: 'ok', trigger: 'schedule' });
        expect(Date.parse(j.lastRun!.at)).toBeLessThanOrEqual(t);
      }
      expect(new Date(Date.parse(done[0]!.next[0]!)).getUTCSeconds() % 15).toBe(0);
      expect([5, 20, 35, 50]).toContain(new Date(Date.parse(done[1]!.next[0]!)).getUTCSeconds());

      // The backup list shows the scheduled backup, complete, and the drill's verification.
      const { backups, errors } = await getJson<{
        backups: { id: string; status: string; sizeBytes: number; verifiedAt?: string; verifyOk?: boolean }[];
        errors: unknown[];
      }>(serve.url, '/api/envs/prod/backups', h);
      expect(errors).toEqual([]);
      expect(backups.length).toBeGreaterThanOrEqual(1);
      expect(backups.every((b) => b.status === 'ok' && b.sizeBytes > 0)).toBe(true);
      expect(backups.some((b) => b.verifyOk === true && b.verifiedAt !== undefined)).toBe(true);

      // Certificates (TLS off: none) and locks answer as lists.
      expect(await getJson(serve.url, '/api/certs', h)).toEqual({ certs: [] });
      const { locks } = await getJson<{ locks: { server: string; env: string; command: string }[] }>(serve.url, '/api/locks', h);
      for (const l of locks) expect(l).toMatchObject({ server: 'vps1', env: 'prod' });

      // Each run is in the API audit log, by "schedule".
      const audit = readFileSync(join(dir, '.slipway/serve/audit.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { by: string; action: string; env?: string; outcome: string; detail?: string });
      const scheduled = audit.filter((e) => e.by === 'schedule');
      expect(scheduled).toContainEqual(
        expect.objectContaining({ action: 'backup', env: 'prod', outcome: 'ok', detail: expect.stringMatching(/^backup \S+ ok/) }),
      );
      expect(scheduled).toContainEqual(
        expect.objectContaining({ action: 'backup-verify', env: 'prod', outcome: 'ok', detail: expect.stringMatching(/^backup \S+ verified ok from local/) }),
      );
    } finally {
      await serve.stop();
    }
    console.log(`serve (first start):\n${scheduleLines(serve.log)}`);
    expectNoOverlap(serve.log, 'backup:prod');
    expectNoOverlap(serve.log, 'backup-verify:prod');
    // Stopped means stopped: nothing runs after serve returned.
    const lines = serve.log.length;
    await sleep(6_000);
    expect(serve.log.length).toBe(lines);
  }, 300_000);

  it('after a restart, runs missed while serve was down are caught up once, not once per slot', async () => {
    const state = () =>
      JSON.parse(readFileSync(join(dir, '.slipway/serve/schedules.json'), 'utf8')) as Record<string, { lastRun?: { at: number; trigger: string } }>;
    const before = state();
    const lastAt = Math.max(before['backup:prod']!.lastRun!.at, before['backup-verify:prod']!.lastRun!.at);
    // Down long enough for at least two slots of each job to pass.
    const waitMs = Math.max(0, lastAt + 32_000 - Date.now());
    await sleep(waitMs);
    const serve = await startServe();
    try {
      const h = await login(serve.url);
      await until(
        'both catch-up runs to end',
        async () => {
          const { jobs } = await getJson<{ jobs: Job[] }>(serve.url, '/api/schedules', h);
          const log = serve.log.join('');
          return jobs.every((j) => !j.running) && ['backup:prod', 'backup-verify:prod'].every((id) => new RegExp(`schedules: ${id}: (ok|failed) in`).test(log))
            ? jobs
            : undefined;
        },
        120_000,
        serve.log,
      );
      const log = serve.log.join('');
      for (const id of ['backup:prod', 'backup-verify:prod']) {
        const missed = new RegExp(`schedules: ${id}: (\\d+) run\\(s\\) missed while serve was down`).exec(log);
        expect(missed, log).not.toBeNull();
        expect(Number(missed![1])).toBeGreaterThanOrEqual(2);
        expect(linesOf(serve.log, id).filter((l) => l.includes('started (catch-up)'))).toHaveLength(1);
      }
      expect(log).toMatch(/schedules: 2 job\(s\) scheduled; catching up backup:prod, backup-verify:prod/);
      const audit = readFileSync(join(dir, '.slipway/serve/audit.jsonl'), 'utf8');
      expect(audit.match(/"by":"schedule","action":"backup","env":"prod","outcome":"ok","status":200,"detail":"catch-up: /g)).toHaveLength(1);
    } finally {
      await serve.stop();
    }
    console.log(`serve (restarted):\n${scheduleLines(serve.log)}`);
    expectNoOverlap(serve.log, 'backup:prod');
    expectNoOverlap(serve.log, 'backup-verify:prod');
  }, 300_000);
});
