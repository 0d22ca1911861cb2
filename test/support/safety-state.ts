// Helpers for the deploy-safety suite: the fleet it deploys, what one app/environment looks like
// on the engine and on the server (containers, release history, lock), and waiting for a line
// on a running CLI's stderr.
import type { ChildProcess } from 'node:child_process';
import Docker from 'dockerode';
import { slipwayOk } from './cli.ts';
import { projectContainers } from './project.ts';

export function safetyFleet(project: string, httpPort: number): string {
  return `project: ${project}
servers:
  local: { local: true, memory: 8GiB, cpus: 2, proxy: caddy, http_port: ${httpPort} }
environments:
  prod: { server: local, deploy: { tags: "v*" }, protected: true, domain: "{app}.localhost", tls: "off" }
  staging: { server: local, deploy: { branch: develop }, domain: "{app}-staging.localhost", tls: "off" }
apps:
  web:
    git: { repo: ., context: examples/apps/echo }
    release: ["node server.js migrate"]
    processes:
      web: { command: "node server.js", port: 8000, health: /health, memory: 128MiB }
      worker: { command: "node server.js worker", memory: 64MiB }
      beat: { command: "node server.js worker", singleton: true, memory: 64MiB }
`;
}

export interface AppContainer {
  name: string;
  state: string;
  release: string;
  /** `process/replica`, e.g. `web/0`. */
  slot: string;
  role: string;
}

/** Every container of APP in ENV (apps and release tasks), any state. */
export async function appContainers(project: string, app: string, env: string): Promise<AppContainer[]> {
  return (await projectContainers(project))
    .filter((c) => c.labels['slipway.app'] === app && c.labels['slipway.env'] === env)
    .map((c) => ({
      name: c.name,
      state: c.state,
      release: c.labels['slipway.release'] ?? '',
      slot: `${c.labels['slipway.process'] ?? '?'}/${c.labels['slipway.replica'] ?? '0'}`,
      role: c.labels['slipway.role'] ?? '',
    }));
}

/** Releases that have a `{project}/{app}:{release}` image tag on the local engine. */
export async function releaseImages(project: string, app: string): Promise<string[]> {
  const images = await new Docker().listImages({ filters: { reference: [`${project}/${app}:*`] } });
  return images
    .flatMap((i) => i.RepoTags ?? [])
    .map((t) => t.slice(t.lastIndexOf(':') + 1))
    .sort();
}

export interface History {
  current: string | null;
  releases: { release: string; status: string }[];
}

export async function history(cwd: string, app: string, env: string): Promise<History> {
  return JSON.parse((await slipwayOk(['releases', app, env, '--json'], { cwd })).stdout) as History;
}

export interface LockRow {
  env: string;
  server: string;
  locked: boolean;
  stale: boolean;
  pid?: number;
  command?: string;
  holder?: string;
}

export async function lockStatus(cwd: string, env: string): Promise<LockRow> {
  const rows = JSON.parse((await slipwayOk(['lock', 'status', env, '--json'], { cwd })).stdout) as LockRow[];
  if (rows.length !== 1) throw new Error(`expected one lock row for ${env}, got ${JSON.stringify(rows)}`);
  return rows[0]!;
}

/** Resolves when the child's stderr has matched `re` (rejects if it exits first). */
export function waitForStderr(child: ChildProcess, re: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen += d.toString('utf8');
      if (re.test(seen)) {
        cleanup();
        resolve();
      }
    };
    const onClose = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`process exited (${code ?? signal}) before its stderr matched ${re}\n${seen}`));
    };
    const cleanup = () => {
      child.stderr!.off('data', onData);
      child.off('close', onClose);
    };
    child.stderr!.on('data', onData);
    child.on('close', onClose);
  });
}
