// A one-server fleet with everything `up` and `down` manage — two environments, a shared Postgres
// and Redis, an app with a data volume behind Caddy — on a FakeEngine world (fake-session.ts),
// with the fleet file as a function of which environments it still has.
import { engineStdin } from '../../src/engine/secret-handover.ts';
import { fakeWorld, type FakeWorld } from './fake-session.ts';

export const INFRA_IMAGES = ['caddy:2', 'postgres:15', 'redis:7', 'acme/web:v1'];

const ENVS: Record<string, string> = {
  staging: '  staging: { server: s1, domain: "{app}-staging.localhost", tls: "off" }',
  prod: '  prod: { server: s1, domain: "{app}.localhost", tls: "off" }',
};

/** The fleet file with these environments (of staging, prod). */
export function infraFleet(envs: string[]): string {
  return `project: acme
servers:
  s1: { ssh: deploy@192.0.2.1, memory: 8GiB, cpus: 2, proxy: caddy, http_port: 8080 }
environments:
${envs.map((e) => ENVS[e]).join('\n')}
services:
  postgres: { image: postgres:15, scope: server }
  redis: { image: redis:7, scope: server }
apps:
  web:
    image: acme/web:v1
    uses: [postgres, redis]
    volumes: { media: /app/media }
    processes:
      web: { command: "node server.js", port: 8000, health: /health, memory: 128MiB }
      worker: { command: "node server.js worker", memory: 64MiB }
`;
}

/** The world for `infraFleet(envs)`; Redis answers FLUSHDB, PING and the ACL commands of up. */
export async function infraWorld(envs = ['staging', 'prod']): Promise<FakeWorld> {
  const w = await fakeWorld(infraFleet(envs), { images: INFRA_IMAGES });
  w.engine('s1').onExec(['redis-cli'], fakeRedisCli);
  return w;
}

/** redis-cli as a Redis would answer Slipway's admin: PONG, the ACL users, OK per ACL line of stdin. */
export function fakeRedisCli({ argv, opts }: { argv: string[]; opts: { stdin?: unknown } }): { stdout: string } {
  if (argv.includes('PING')) return { stdout: 'PONG\n' };
  if (argv.includes('USERS')) return { stdout: 'default\nslipway-admin\n' };
  if (opts.stdin !== undefined) {
    // Only the number of lines matters: the value stays wrapped (its length is not secret).
    const lines = engineStdin(opts.stdin as string)
      .toString()
      .trim()
      .split('\n');
    return { stdout: lines.map((l) => (l.startsWith('ACL DELUSER') ? '1' : 'OK')).join('\n') + '\n' };
  }
  return { stdout: 'OK\n' };
}
