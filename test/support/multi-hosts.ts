// Helpers for tests on the simulated servers (test/harness/hosts.ts): each host's engine through
// its socket in the root namespace (to observe and clean up, not under test), HTTP requests to a
// host's proxy with a Host header (names are never resolved), host key fingerprints, and waiting
// for a child's output.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import type { HarnessHostName, HarnessHosts } from '../harness/hosts.ts';

export function hostDocker(hosts: HarnessHosts, host: HarnessHostName): Docker {
  return new Docker({ socketPath: hosts.hosts[host].socketPath });
}

export interface HostContainer {
  id: string;
  name: string;
  state: string;
  image: string;
  labels: Record<string, string>;
}

/** The project's containers on one host (all states), by name. */
export async function hostContainers(docker: Docker, project: string): Promise<HostContainer[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`slipway.project=${project}`] } });
  return list
    .map((c) => ({ id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), state: c.State, image: c.Image, labels: c.Labels }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** True if the host's engine has an image with this tag. */
export async function hostHasImage(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch {
    return false;
  }
}

/**
 * Tags of `{project}/{app}` images on one host that name `release` (whatever the tag's exact
 * spelling: `{release}` or `{env}-{release}`).
 */
export async function releaseImageTags(docker: Docker, project: string, app: string, release: string): Promise<string[]> {
  const images = await docker.listImages({ filters: { reference: [`${project}/${app}:*`] } });
  return images.flatMap((i) => i.RepoTags ?? []).filter((t) => t.split(':').pop()!.includes(release));
}

/** Image id of the running container of app/env/process of `project` on one host. */
export async function runningImageId(docker: Docker, project: string, app: string, env: string, process: string): Promise<string> {
  const label = [`slipway.project=${project}`, `slipway.app=${app}`, `slipway.env=${env}`, `slipway.process=${process}`];
  const [c] = await docker.listContainers({ filters: { label, status: ['running'] } });
  if (!c) throw new Error(`no running ${app}/${env}/${process} container`);
  return c.ImageID;
}

export { cleanupProjectOn } from './project.ts';

export interface HttpResult {
  status: number;
  body: string;
}

/** GET http://ip:port/path with a Host header (the name is never resolved). */
export function getVia(ip: string, port: number, host: string, path = '/', basicAuth?: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: ip,
        port,
        path,
        headers: { Host: host, ...(basicAuth ? { Authorization: `Basic ${Buffer.from(basicAuth).toString('base64')}` } : {}) },
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error(`GET http://${host}${path} via ${ip}:${port} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** `SHA256:…` fingerprint of a harness host's ed25519 host key, computed from its .pub file. */
export function hostKeyFingerprint(hosts: HarnessHosts, host: HarnessHostName): string {
  const pub = readFileSync(join(hosts.root, 'hosts', host, 'ssh', 'ssh_host_ed25519_key.pub'), 'utf8').trim();
  const b64 = pub.split(/\s+/)[1];
  if (!b64) throw new Error(`unreadable host key of ${host}`);
  return `SHA256:${createHash('sha256').update(Buffer.from(b64, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

/** Resolves with the first complete line of `stream` matching `re` (rejects after timeoutMs). */
export function waitForLine(stream: Readable, re: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const done = (err: Error | null, line?: string) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('close', onClose);
      if (err) reject(err);
      else resolve(line!);
    };
    const onData = (d: Buffer | string) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      const hit = lines.find((l) => re.test(l));
      if (hit !== undefined) done(null, hit);
    };
    const onClose = () => done(new Error(`stream ended without a line matching ${re}`));
    const timer = setTimeout(() => done(new Error(`no line matching ${re} within ${timeoutMs} ms`)), timeoutMs);
    stream.on('data', onData);
    stream.on('close', onClose);
  });
}
