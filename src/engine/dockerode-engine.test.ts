// Unit tests for DockerodeEngine that need no Docker engine: error wrapping against a missing
// socket, and secret redaction against a stub Engine API served on a temporary unix socket.
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DockerodeEngine } from './dockerode-engine.ts';
import { EngineError } from './engine-errors.ts';
import { Secret } from '../util/secret.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A stub Engine API on a unix socket; `handler` answers every request. */
async function stub(handler: (method: string, url: string, body: string) => [number, unknown]): Promise<string> {
  const sock = join(mkdtempSync(join(tmpdir(), 'slipway-stub-')), 'docker.sock');
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const [status, json] = handler(req.method ?? '', req.url ?? '', body);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((r) => server!.listen(sock, r));
  return sock;
}

describe('DockerodeEngine errors', () => {
  it('reports an unreachable engine with the server name', async () => {
    const engine = new DockerodeEngine('web1', { socketPath: '/nonexistent/docker.sock' });
    const err = await engine.ping().catch((e) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err.message).toBe('web1: ping failed: cannot reach the Docker engine (ENOENT /nonexistent/docker.sock)');
  });

  it('wraps API errors with status code and never echoes a secret env value', async () => {
    let seen = '';
    const sock = await stub((_m, url, body) => {
      seen = `${url} ${body}`;
      return [400, { message: 'invalid env: DATABASE_URL=postgres://u:s3cretpw@db/app for acme-web-prod' }];
    });
    const engine = new DockerodeEngine('web1', { socketPath: sock });
    const err = await engine
      .createContainer({
        name: 'acme-x',
        image: 'busybox:1.36',
        env: { DATABASE_URL: new Secret('postgres://u:s3cretpw@db/app'), SLIPWAY_ENV: 'prod', SLIPWAY_APP: 'web' },
        labels: {},
        networks: [],
        mounts: [],
        restart: 'no',
        stopTimeoutS: 1,
      })
      .catch((e) => e);
    expect(seen).toContain('/containers/create?name=acme-x');
    expect(err).toBeInstanceOf(EngineError);
    expect(err.statusCode).toBe(400);
    expect(seen).toContain('postgres://u:s3cretpw@db/app'); // handed over to the engine, unwrapped
    expect(err.message).toBe('web1: createContainer acme-x failed: invalid env: DATABASE_URL=[redacted] for acme-web-prod');
    expect(err.message).not.toContain('s3cretpw');
  });

  it('keeps the ordinary words of an error: only secret env values are redacted', async () => {
    const sock = await stub(() => [404, { message: 'No such image: myproj/web:prod-20260101' }]);
    const err = await new DockerodeEngine('web1', { socketPath: sock })
      .createContainer({
        name: 'myproj-web-prod-release-20260101-0',
        image: 'myproj/web:prod-20260101',
        env: { SLIPWAY_APP: 'web', SLIPWAY_ENV: 'prod', SLIPWAY_RELEASE: '20260101', PROJECT: 'myproj', API_KEY: new Secret('Zq3vX9kLm2Pw8RtY5nB7cD1e') },
        labels: {},
        networks: [],
        mounts: [],
        restart: 'no',
        stopTimeoutS: 1,
      })
      .catch((e) => e);
    expect(err.message).toBe('web1: createContainer myproj-web-prod-release-20260101-0 failed: No such image: myproj/web:prod-20260101');
  });

  it('imageInspect returns null on 404', async () => {
    const sock = await stub(() => [404, { message: 'No such image: nope:1' }]);
    expect(await new DockerodeEngine('web1', { socketPath: sock }).imageInspect('nope:1')).toBeNull();
  });

  it('marks not-found errors', async () => {
    const sock = await stub(() => [404, { message: 'No such container: gone' }]);
    const err = await new DockerodeEngine('web1', { socketPath: sock }).inspectContainer('gone').catch((e) => e);
    expect(err.notFound).toBe(true);
    expect(err.message).toBe('web1: inspectContainer gone failed: No such container: gone');
  });
});
