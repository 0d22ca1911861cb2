// What every TLS suite stands on: the app and proxy images loaded into one simulated host,
// pebble (resolving at the suite's BIND when it has one, else at challtestsrv), a project whose
// fleet names pebble's directory and trusts its listener CA (./pebble-ca.pem), the environment the
// CLI runs with (the hosts' SSH key and known_hosts; an age identity when the fleet encrypts its
// secrets), the zone's TSIG secret set as a user sets it, and the suite's own pair of host ports.
// `stop` removes the project from the host and stops pebble and BIND by PID.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { ensureImages } from '../harness/engine.ts';
import { type HarnessHostName, type HarnessHosts, hostsUp, loadImagesIntoHosts } from '../harness/hosts.ts';
import { type Bind, type BindOptions, startBind } from './bind.ts';
import { slipwayOk } from './cli.ts';
import { cleanupProjectOn, hostDocker } from './multi-hosts.ts';
import { type Pebble, startPebble } from './pebble.ts';
import { makeProject, type TestProject } from './project.ts';
import { suitePorts } from './tls-client.ts';

export interface TlsWorldOptions {
  host: HarnessHostName;
  proxy: 'nginx' | 'caddy';
  /** Prefix of the project's unique name. */
  project: string;
  /** A real BIND for the suite's zone (test/support/bind.ts); pebble then resolves every name there. */
  bind?: BindOptions;
  /** Names challtestsrv answers with the host's address (suites without a BIND). */
  names?: string[];
  /** pebble's certificate lifetime. */
  certValiditySeconds?: number;
  /** The fleet encrypts its secrets to a fresh age identity (given to the CLI as SLIPWAY_AGE_KEY). */
  ageSecrets?: boolean;
}

export interface TlsWorld {
  ip: string;
  ports: { http: number; https: number };
  hosts: HarnessHosts;
  docker: Docker;
  pebble: Pebble;
  bind?: Bind;
  /** pebble's issuing root: what a client trusts. */
  root: string;
  p: TestProject;
  env: Record<string, string>;
  /** The age recipient the fleet's `secrets.recipients` names (ageSecrets). */
  recipient?: string;
  stop(): Promise<void>;
}

const IPS: Record<HarnessHostName, string> = { hostA: '10.200.0.2', hostB: '10.200.0.3' };

/** Starts it all; `fleet` writes the fleet file from the world (pebble's directory, the BIND, the ports). */
export async function startTlsWorld(o: TlsWorldOptions, fleet: (w: TlsWorld) => string): Promise<TlsWorld> {
  const image = o.proxy === 'nginx' ? 'nginx:1.27' : 'caddy:2';
  await ensureImages(['node', o.proxy]);
  const hosts = await hostsUp();
  await loadImagesIntoHosts(['node:20-slim', image], [o.host]);
  const ip = IPS[o.host];
  const ports = suitePorts();
  let bind: Bind | undefined;
  let pebble: Pebble | undefined;
  try {
    bind = o.bind ? await startBind(o.bind) : undefined;
    const started = await startPebble({
      httpPort: ports.http,
      tlsPort: ports.https,
      ...(bind ? { dnsServer: `${bind.host}:${bind.port}` } : {}),
      ...(o.certValiditySeconds !== undefined ? { certValiditySeconds: o.certValiditySeconds } : {}),
    });
    pebble = started;
    for (const n of o.names ?? []) await started.addA(n, ip);
    const p = makeProject(o.project);
    const docker = hostDocker(hosts, o.host);
    const env: Record<string, string> = { SLIPWAY_SSH_KEY: hosts.sshKeyPath, SLIPWAY_KNOWN_HOSTS: hosts.knownHostsPath, SSH_AUTH_SOCK: '', SLIPWAY_FILE: '' };
    let recipient: string | undefined;
    if (o.ageSecrets) {
      const id = await generateX25519Identity();
      recipient = await identityToRecipient(id);
      env.SLIPWAY_AGE_KEY = id;
    }
    const w: TlsWorld = {
      ip,
      ports,
      hosts,
      docker,
      pebble: started,
      ...(bind ? { bind } : {}),
      root: await started.issuerRoot(),
      p,
      env,
      ...(recipient ? { recipient } : {}),
      async stop() {
        await cleanupProjectOn(docker, p.project);
        await started.stop();
        await bind?.stop();
      },
    };
    writeFileSync(join(p.dir, 'pebble-ca.pem'), started.listenerCaPem);
    p.writeFleet(fleet(w));
    p.commit('fleet');
    if (bind) await slipwayOk(['secret', 'set', 'dns-tsig'], { cwd: p.dir, env, input: bind.secret });
    return w;
  } catch (e) {
    // What started is stopped again: the suite fails, nothing is left running.
    await pebble?.stop();
    await bind?.stop();
    throw e;
  }
}
