// bench/lib/deploy-project.ts — the throwaway project bench/deploy.ts deploys: two tags of the
// echo app image, a fleet (one image-source app, one web process with an HTTP health check,
// Caddy on a free loopback port), `slipway up`, and an in-process ServerRun over the same fleet
// for the hand-driven floor. Everything is labelled with the project and removed by cleanup().
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFleet } from '../../src/config/load.ts';
import { defaultConnector } from '../../src/engine/connect.ts';
import { desire } from '../../src/plan/desire/desire.ts';
import { loadRedisAllocations } from '../../src/workflows/redis-allocations.ts';
import { createReporter } from '../../src/workflows/reporter.ts';
import { serverRun, type ServerRun } from '../../src/workflows/server-run.ts';
import { StateStore } from '../../src/workflows/state-store.ts';
import { buildEchoImage } from '../../test/harness/docker.ts';
import { slipwayOk } from '../../test/support/cli.ts';
import { cleanupProject, freePort, uniqueProject } from '../../test/support/project.ts';

export const APP = 'echo';
export const ENV = 'bench';

export interface BenchProject {
  dir: string;
  project: string;
  /** Host port Caddy publishes; traffic goes to 127.0.0.1 on it. */
  port: number;
  /** Host header of the app's route. */
  host: string;
  /** Two tags of the echo image, deployed alternately so every run is a real switch. */
  tags: [string, string];
  /** Runs the real CLI in the project directory; throws with its output on a non-zero exit. */
  cli(args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** An in-process ServerRun (own engine connection, same fleet and desired state as the CLI's). */
  run(): Promise<ServerRun>;
  cleanup(): Promise<void>;
}

export function fleetYaml(project: string, port: number, image: string): string {
  return [
    `project: ${project}`,
    'servers:',
    '  local: { local: true, memory: 4GiB, cpus: 2, proxy: caddy, http_port: ' + port + ' }',
    'environments:',
    `  ${ENV}: { server: local, deploy: any, domain: "{app}-${ENV}.localhost", tls: "off" }`,
    'apps:',
    `  ${APP}:`,
    `    image: ${image}`,
    '    processes:',
    '      web: { command: "node server.js", port: 8000, health: /health, memory: 256MiB }',
    '',
  ].join('\n');
}

export type CliRunner = (args: string[], cwd: string) => Promise<{ stdout: string; stderr: string }>;

/**
 * Creates the project (images, fleet, `slipway up`). The caller deploys the first release. `cli`
 * runs the CLI (default bin/slipway.mjs); the benchmark passes the bundle it measures, so the setup
 * does not depend on the working tree staying buildable.
 */
export async function createProject(cli: CliRunner = (args, cwd) => slipwayOk(args, { cwd })): Promise<BenchProject> {
  const project = uniqueProject('bdep');
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-deploy-'));
  const port = await freePort();
  // Under {project}/ so cleanupProject's image filter removes them too.
  const tags: [string, string] = [`${project}/src:a`, `${project}/src:b`];
  const p: BenchProject = {
    dir,
    project,
    port,
    host: `${APP}-${ENV}.localhost`,
    tags,
    cli: (args) => cli(args, dir),
    run: async () => {
      const loaded = loadFleet(join(dir, 'slipway.yaml'));
      if (!loaded.fleet) throw new Error(`bench fleet is invalid: ${JSON.stringify(loaded.diagnostics.slice(0, 3))}`);
      const fleet = loaded.fleet;
      const server = fleet.servers[0]!;
      const conn = await defaultConnector(server);
      const redisAllocations = await loadRedisAllocations(new StateStore(conn.engine, fleet.project));
      return serverRun(fleet, desire(fleet, { redisAllocations }), conn, createReporter(null, Date.now), Date.now);
    },
    cleanup: () => cleanupProject(project, dir),
  };
  for (const [i, tag] of tags.entries()) await buildEchoImage(tag, { release: `img-${'ab'[i]}` });
  writeFileSync(join(dir, 'slipway.yaml'), fleetYaml(project, port, tags[0]));
  await p.cli(['up']);
  return p;
}
