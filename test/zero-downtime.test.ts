// Zero downtime on the real engine, behind each real proxy (Caddy, nginx): 20 keep-alive clients
// hammer the app through the proxy while a deploy, a rollback, a deploy whose health check fails
// and a deploy whose release command fails run as real CLI processes. The clients must see no
// error status, refused connection or timeout, and both releases while switching; a failed release
// must leave the previous one serving with nothing of its own left behind. Read errors (a
// connection closed under a request) must be 0 in every phase, behind either proxy: a deploy never
// reloads the proxy. Singletons never run twice; old releases' stopped containers are kept up to
// --keep.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadReport } from '../bench/lib/load.ts';
import { ensureEngine, ensureImages } from './harness/engine.ts';
import { slipway, slipwayOk, type CliResult } from './support/cli.ts';
import { get } from './support/http.ts';
import { cleanupProject, freePort, makeProject, type TestProject } from './support/project.ts';
import { appContainers, containersOfRelease, releasesSeen, summary, underLoad } from './support/zd-load.ts';

const HOST = 'web.localhost';
const CONNECTIONS = 20;

interface History {
  current: string | null;
  releases: { release: string; status: string; note?: string }[];
}

function fleetYaml(project: string, proxy: string, port: number, env: Record<string, string> = {}): string {
  const envLine = Object.keys(env).length
    ? `    env: { ${Object.entries(env)
        .map(([k, v]) => `${k}: "${v}"`)
        .join(', ')} }\n`
    : '';
  return `project: ${project}
servers:
  local: { local: true, memory: 8GiB, cpus: 2, proxy: ${proxy}, http_port: ${port} }
environments:
  prod: { server: local, deploy: any, protected: true, domain: "{app}.localhost", tls: "off" }
apps:
  web:
    git: { repo: ., context: examples/apps/echo }
    release: ["node server.js migrate"]
${envLine}    processes:
      web: { command: "node server.js", port: 8000, health: { path: /health, interval: 1s, retries: 8 }, memory: 128MiB }
      worker: { command: "node server.js worker", memory: 64MiB }
      beat: { command: "node server.js worker", singleton: true, memory: 64MiB }
`;
}

describe.each(['caddy', 'nginx'] as const)('zero downtime behind %s', (proxy) => {
  let p: TestProject;
  let port: number;
  const rel: { a?: string; b?: string } = {};
  let t0 = 0;

  const writeFleet = (env: Record<string, string> = {}) => p.writeFleet(fleetYaml(p.project, proxy, port, env));
  const cli = (args: string[]) => slipway(args, { cwd: p.dir });
  const cliOk = (args: string[]) => slipwayOk(args, { cwd: p.dir });
  const history = async (): Promise<History> => JSON.parse((await cliOk(['releases', 'web', 'prod', '--json'])).stdout) as History;
  const answering = async (): Promise<string> => {
    const r = await get(port, HOST, '/');
    expect(r.status, r.body).toBe(200);
    return (JSON.parse(r.body) as { release: string }).release;
  };
  const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    const s = Date.now();
    try {
      return await fn();
    } finally {
      console.log(`[zd] ${proxy} ${label}: ${((Date.now() - s) / 1000).toFixed(1)} s`);
    }
  };

  /**
   * What the clients may see, in every phase and behind either proxy: no non-2xx, no refused
   * connection, no timeout, and no read error (a connection closed under a request). A deploy or a
   * rollback never reloads the proxy (the new release joins the edge network once healthy, the old
   * one stops gracefully after the drain), so no client keep-alive connection is ever closed under it.
   */
  const expectClean = (r: LoadReport, phase: string) => {
    const line = summary(`${proxy} ${phase}`, r);
    console.log(line);
    expect(r.requests, line).toBeGreaterThan(0);
    expect(r.non2xx, line).toEqual({});
    expect(r.connectErrors, line).toBe(0);
    expect(r.timeouts, line).toBe(0);
    expect(r.readErrors, line).toBe(0);
  };

  beforeAll(async () => {
    t0 = Date.now();
    await ensureEngine();
    await ensureImages(['node', 'caddy', 'nginx']);
    p = makeProject(`zd${proxy.slice(0, 2)}`);
    port = await freePort();
    writeFleet();
  }, 600_000);

  afterAll(async () => {
    if (p) await cleanupProject(p.project, p.dir);
    console.log(`[zd] ${proxy} total: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });

  it('switches from release A to B under keep-alive load without a failed request', async () => {
    const first = await timed('deploy A', () => cliOk(['deploy', 'web', 'prod', '--drain', '2000', '--json']));
    rel.a = (JSON.parse(first.stdout) as { release: string }).release;
    expect(await answering()).toBe(rel.a);

    p.git(['commit', '-q', '--allow-empty', '-m', 'release B']);
    const { result, report } = await timed('deploy B under load', () =>
      underLoad(port, HOST, CONNECTIONS, () => cliOk(['deploy', 'web', 'prod', '--drain', '2000', '--json'])),
    );
    rel.b = (JSON.parse(result.stdout) as { release: string }).release;
    expect(rel.b).not.toBe(rel.a);
    expect(await answering()).toBe(rel.b);

    expectClean(report, 'deploy A→B');
    // The switch happened under load: the clients saw A, then B, and nothing else.
    expect(Object.keys(releasesSeen(report)).sort(), summary(proxy, report)).toEqual([rel.a, rel.b].sort());

    const cs = await appContainers(p.project, 'web', 'prod');
    expect(cs.filter((c) => c.release === rel.b).map((c) => [c.process, c.state])).toEqual(
      expect.arrayContaining([
        ['web', 'running'],
        ['worker', 'running'],
        ['beat', 'running'],
      ]),
    );
    expect(cs.filter((c) => c.release === rel.a).map((c) => c.state)).toEqual(['exited', 'exited', 'exited']);
  });

  it('rolls back to A under the same load without a failed request', async () => {
    const { result, report } = await timed('rollback B→A under load', () =>
      underLoad(port, HOST, CONNECTIONS, () => cliOk(['rollback', 'web', 'prod', '--drain', '2000', '--json'])),
    );
    expect((JSON.parse(result.stdout) as { release: string }).release).toBe(rel.a);
    expect(await answering()).toBe(rel.a);
    expectClean(report, 'rollback B→A');
    expect(Object.keys(releasesSeen(report)).sort(), summary(proxy, report)).toEqual([rel.a!, rel.b!].sort());
    expect((await history()).current).toBe(rel.a);
  });

  it('a release whose health check fails never takes traffic and leaves nothing behind', async () => {
    const before = await appContainers(p.project, 'web', 'prod');
    writeFleet({ FAIL_HEALTH: '1' });
    let r: CliResult;
    let report: LoadReport;
    try {
      ({ result: r, report } = await timed('failing health under load', () =>
        underLoad(port, HOST, CONNECTIONS, () => cli(['deploy', 'web', 'prod', '--drain', '2000'])),
      ));
    } finally {
      writeFleet();
    }
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toContain('did not become healthy');
    expect(r.stderr).toContain('--- last log lines');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await answering()).toBe(rel.a);
    expectClean(report, 'failed health check');
    expect(Object.keys(releasesSeen(report)), summary(proxy, report)).toEqual([rel.a]);

    const h = await history();
    const failed = h.releases[0]!;
    expect(failed.status).toBe('failed');
    expect([rel.a, rel.b]).not.toContain(failed.release);
    expect(failed.note).toContain('did not become healthy');
    expect(h.current).toBe(rel.a);
    expect(await containersOfRelease(p.project, failed.release)).toEqual([]);
    expect(await appContainers(p.project, 'web', 'prod')).toEqual(before);
  });

  it('a failing release command stops the deploy before any container starts', async () => {
    const before = await appContainers(p.project, 'web', 'prod');
    writeFleet({ FAIL_RELEASE: '1' });
    let r: CliResult;
    let report: LoadReport;
    try {
      ({ result: r, report } = await timed('failing release command under load', () =>
        underLoad(port, HOST, CONNECTIONS, () => cli(['deploy', 'web', 'prod', '--drain', '2000'])),
      ));
    } finally {
      writeFleet();
    }
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toContain('node server.js migrate');
    expect(r.stderr).toContain('exited with code 1');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await answering()).toBe(rel.a);
    expectClean(report, 'failed release command');

    const h = await history();
    const failed = h.releases[0]!;
    expect(failed.status).toBe('failed');
    expect(h.current).toBe(rel.a);
    expect(await containersOfRelease(p.project, failed.release)).toEqual([]);
    expect(await appContainers(p.project, 'web', 'prod')).toEqual(before);
  });

  it('runs exactly one singleton, stops the old workers and keeps at most --keep releases', async () => {
    p.git(['commit', '-q', '--allow-empty', '-m', 'release E']);
    const out = await timed('deploy E --keep 2', () => cliOk(['deploy', 'web', 'prod', '--drain', '500', '--keep', '2', '--json']));
    const e = (JSON.parse(out.stdout) as { release: string }).release;
    expect(await answering()).toBe(e);

    const cs = await appContainers(p.project, 'web', 'prod');
    const beats = cs.filter((c) => c.process === 'beat' && c.state === 'running');
    expect(beats.map((c) => c.release)).toEqual([e]);
    expect(
      cs
        .filter((c) => c.release === e)
        .map((c) => [c.process, c.state])
        .sort(),
    ).toEqual([
      ['beat', 'running'],
      ['web', 'running'],
      ['worker', 'running'],
    ]);
    // The previous release (A, live before) is kept stopped for an instant rollback…
    expect(
      cs
        .filter((c) => c.release === rel.a)
        .map((c) => [c.process, c.state])
        .sort(),
    ).toEqual([
      ['beat', 'exited'],
      ['web', 'exited'],
      ['worker', 'exited'],
    ]);
    // …and B, a third release, is beyond --keep 2: its containers are gone.
    expect(cs.filter((c) => c.release === rel.b)).toEqual([]);
    expect(new Set(cs.map((c) => c.release)).size).toBeLessThanOrEqual(2);
    expect(cs.filter((c) => c.state === 'running').map((c) => c.release)).toEqual([e, e, e]);
  });
});
