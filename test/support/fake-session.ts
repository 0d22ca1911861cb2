// A FleetSession on recording FakeEngines, opened through the real fleet runtime (openSession with
// an injected connector), as the HTTP server will open one: for tests that drive workflows with no
// CLI. Health probes answer through a fake dialer; time is a fake clock that `sleep` advances.
import { Duplex } from 'node:stream';
import { loadFleet } from '../../src/config/load.ts';
import type { Fleet } from '../../src/config/fleet.ts';
import type { ServerConnection } from '../../src/engine/connection.ts';
import type { Dialer } from '../../src/engine/dialer.ts';
import { FakeEngine } from '../../src/engine/fake-engine.ts';
import { type FleetSession, openSession } from '../../src/workflows/fleet-session.ts';
import type { ServerRun } from '../../src/workflows/server-run.ts';

/** Two servers: staging (basic auth) and prod on s1 behind Caddy, qual on s2 behind nginx. */
export const TWO_SERVERS = `project: acme
servers:
  s1: { ssh: deploy@192.0.2.1, memory: 8GiB, cpus: 2, proxy: caddy, http_port: 8080 }
  s2: { ssh: deploy@192.0.2.2, memory: 8GiB, cpus: 2, proxy: nginx, http_port: 8080 }
environments:
  staging: { server: s1, auth: basic, domain: "{app}-staging.localhost", tls: "off" }
  prod: { server: s1, domain: "{app}.localhost", tls: "off" }
  qual: { server: s2, auth: basic, domain: "{app}-qual.localhost", tls: "off" }
apps:
  web:
    image: acme/web:v1
    release: ["node server.js migrate"]
    processes:
      web: { command: "node server.js", port: 8000, health: /health, memory: 128MiB }
      worker: { command: "node server.js worker", memory: 64MiB }
`;

export interface FakeWorld {
  fleet: Fleet;
  /** One engine per server, by server name. */
  engines: Map<string, FakeEngine>;
  session: FleetSession;
  /** Progress and warnings the session printed (its reporter's output). */
  stderr: string[];
  /** HTTP status every health probe answers. */
  health: { status: number };
  /** Fake clock (ms); `sleep` advances it. */
  clock: { t: number };
  run(server: string): ServerRun;
  engine(server: string): FakeEngine;
}

/** A stream that answers any request with one HTTP status line. */
function answering(status: () => number): Duplex {
  return new Duplex({
    read() {},
    write(_chunk, _enc, cb) {
      this.push(`HTTP/1.1 ${status()} X\r\nContent-Length: 0\r\n\r\n`);
      cb();
    },
  });
}

export function fleetOf(text: string): Fleet {
  const loaded = loadFleet('/srv/acme/slipway.yaml', { text });
  if (!loaded.fleet) throw new Error(JSON.stringify(loaded.diagnostics, null, 2));
  return loaded.fleet;
}

export async function fakeWorld(text = TWO_SERVERS, opts: { images?: string[]; servers?: string[]; json?: boolean } = {}): Promise<FakeWorld> {
  const fleet = fleetOf(text);
  const images = opts.images ?? ['caddy:2', 'nginx:1.27', 'acme/web:v1'];
  const engines = new Map(fleet.servers.map((s) => [s.name, new FakeEngine(s.name, { images })]));
  // Release commands (one-off containers) succeed unless a test says otherwise.
  for (const e of engines.values()) e.onStart((c) => c.spec.labels['slipway.role'] === 'release-task', { exitCode: 0 });
  const health = { status: 200 };
  const clock = { t: Date.UTC(2025, 0, 1) };
  const now = () => clock.t;
  const dialer: Dialer = { dial: async () => answering(() => health.status) };
  const stderr: string[] = [];
  const session = await openSession(
    {
      stderr: { write: (t) => void stderr.push(t) },
      now,
      connector: async (server): Promise<ServerConnection> => ({ server, engine: engines.get(server.name)!, dialer, close: async () => {} }),
    },
    fleet,
    opts.servers ?? fleet.servers.map((s) => s.name),
    { json: opts.json ?? false },
  );
  for (const run of session.runs.values())
    run.sleep = async (ms) => {
      clock.t += ms;
    };
  return {
    fleet,
    engines,
    session,
    stderr,
    health,
    clock,
    run: (server) => {
      const r = session.runs.get(server);
      if (!r) throw new Error(`no run for ${server}`);
      return r;
    },
    engine: (server) => engines.get(server)!,
  };
}

/** Every container of a role on an engine, by name, sorted. */
export function containersOf(engine: FakeEngine, role: string, state?: string): string[] {
  return [...engine.containers.values()]
    .filter((c) => c.spec.labels['slipway.role'] === role && (!state || c.state === state))
    .map((c) => c.name)
    .sort();
}

/** Brings the infrastructure (networks, state, proxy) up on every server of the world. */
export async function upAll(w: FakeWorld): Promise<void> {
  const { upServer } = await import('../../src/workflows/up.ts');
  for (const run of w.session.runs.values()) await upServer(run);
  for (const e of w.engines.values()) e.clearTranscript();
}

/** Caddy routes (anywhere in the config) that match `host`. */
export function caddyRoutes(config: string, host: string): { handle?: unknown[] }[] {
  const found: { handle?: unknown[] }[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    const o = v as { match?: { host?: string[] }[]; handle?: unknown[] };
    if (o.match?.some((m) => m.host?.includes(host))) found.push(o);
    for (const x of Object.values(o)) walk(x);
  };
  walk(JSON.parse(config));
  return found;
}

/** The nginx `server { … }` block whose server_name is `host`. */
export function nginxServerBlock(config: string, host: string): string {
  const blocks = config.split(/\n\s*server \{/);
  const b = blocks.find((x) => new RegExp(`server_name ${host.replace(/\./g, '\\.')};`).test(x));
  if (!b) throw new Error(`no server block for ${host} in:\n${config}`);
  return b;
}

/** Deploys APP to ENV with the deploy workflow (no drain), one fake minute after the last call. */
export async function deployWith(w: FakeWorld, app: string, env: string, opts: { image?: string } = {}) {
  const { deploy } = await import('../../src/workflows/deploy.ts');
  const a = w.fleet.apps.find((x) => x.name === app)!;
  const e = w.fleet.environments.find((x) => x.name === env)!;
  w.clock.t += 60_000;
  return deploy(w.run(a.perEnv[env]!.server), a, e, { drainMs: 0, keep: 3, lockWaitS: 0, ...opts });
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in process against the world's engines (the fleet file written to a fresh
 * directory), as a user would type it; `input` is standard input.
 */
export async function cliOn(w: FakeWorld, text = TWO_SERVERS): Promise<(args: string[], input?: string) => Promise<CliRun>> {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { main } = await import('../../src/cli/main.ts');
  const cwd = mkdtempSync(join(tmpdir(), 'slipway-fake-cli-'));
  writeFileSync(join(cwd, 'slipway.yaml'), text);
  const dialer: Dialer = { dial: async () => answering(() => w.health.status) };
  return async (args, input) => {
    let stdout = '';
    let stderr = '';
    const code = await main(args, {
      stdout: { write: (t) => void (stdout += t) },
      stderr: { write: (t) => void (stderr += t) },
      cwd,
      env: {},
      color: false,
      now: () => w.clock.t,
      connector: async (server) => ({ server, engine: w.engines.get(server.name)!, dialer, close: async () => {} }),
      stdin: async () => input ?? '',
    });
    return { code, stdout, stderr };
  };
}
