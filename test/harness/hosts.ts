// Integration-test helpers for the simulated servers (scripts/hosts.sh): network namespaces
// hostA 10.200.0.2 and hostB 10.200.0.3, each with its own sshd and dockerd.
import { join } from 'node:path';
import { run, runScript } from './run.ts';

export type HarnessHostName = 'hostA' | 'hostB';

export interface HarnessHost {
  name: HarnessHostName;
  /** Address of the host's sshd (and of ports its containers publish). */
  ip: string;
  /** Unix socket of the host's engine, reachable from the root namespace. */
  socketPath: string;
  /** `unix://…` for docker -H / dockerode socketPath. */
  dockerHost: string;
  /** `ssh://root@ip` for docker -H over SSH (needs sshWrapperDir first in PATH). */
  sshDockerHost: string;
}

export interface HarnessHosts {
  root: string;
  hosts: Record<HarnessHostName, HarnessHost>;
  /** Client private key accepted by root on every host. */
  sshKeyPath: string;
  /** known_hosts holding both hosts' keys (use with strict host key checking). */
  knownHostsPath: string;
  /** OpenSSH client config for 10.200.0.* (key, known_hosts, connection sharing). */
  sshConfigPath: string;
  /** Directory with an `ssh` wrapper that uses sshConfigPath; put it first in PATH. */
  sshWrapperDir: string;
}

const IPS: Record<HarnessHostName, string> = { hostA: '10.200.0.2', hostB: '10.200.0.3' };

/** Where the harness keeps its files ($SLIPWAY_HARNESS, default /tmp/slipway-harness). */
export function harnessRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.SLIPWAY_HARNESS ?? '/tmp/slipway-harness';
}

/** Describes the hosts without starting anything. */
export function describeHosts(root: string = harnessRoot()): HarnessHosts {
  const host = (name: HarnessHostName): HarnessHost => {
    const socketPath = join(root, 'hosts', name, 'docker.sock');
    return { name, ip: IPS[name], socketPath, dockerHost: `unix://${socketPath}`, sshDockerHost: `ssh://root@${IPS[name]}` };
  };
  return {
    root,
    hosts: { hostA: host('hostA'), hostB: host('hostB') },
    sshKeyPath: join(root, 'ssh', 'id_ed25519'),
    knownHostsPath: join(root, 'ssh', 'known_hosts'),
    sshConfigPath: join(root, 'ssh', 'config'),
    sshWrapperDir: join(root, 'bin'),
  };
}

/**
 * Brings both hosts up (idempotent, ~1-2 s from scratch, ~0.2 s when already up). Hosts are
 * shared by every suite on the machine: suites should not take them down when they finish.
 */
export async function hostsUp(): Promise<HarnessHosts> {
  try {
    await runScript('hosts.sh', ['up'], { timeoutMs: 300_000 });
  } catch (err) {
    throw new Error(`could not bring up the simulated hosts (run \`bash scripts/hosts.sh up\` as root): ${(err as Error).message}`);
  }
  return describeHosts();
}

/** Stops both hosts and removes their containers; `wipe` also drops their engine data. */
export async function hostsDown(opts: { wipe?: boolean } = {}): Promise<void> {
  await runScript('hosts.sh', ['down', ...(opts.wipe ? ['--wipe'] : [])], { timeoutMs: 120_000 });
}

/** Copies local images into the hosts' engines (skips those already loaded). */
export async function loadImagesIntoHosts(images: readonly string[], hosts: readonly HarnessHostName[] = []): Promise<void> {
  const hostArgs = hosts.flatMap((h) => ['--host', h]);
  await runScript('hosts.sh', ['load', ...hostArgs, ...images], { timeoutMs: 300_000 });
}

/**
 * Kills every sshd process of one host (the listener and the per-connection ones, so open SSH
 * connections drop); its engine and containers keep running. Undo with startSshd.
 */
export async function stopSshd(host: HarnessHostName): Promise<void> {
  await runScript('hosts.sh', ['sshd-stop', host], { timeoutMs: 60_000 });
}

/** Starts a host's sshd again in its namespaces and waits until it listens (no-op when up). */
export async function startSshd(host: HarnessHostName): Promise<void> {
  await runScript('hosts.sh', ['sshd-start', host], { timeoutMs: 60_000 });
}

/** Runs a command on a host over SSH with the harness key (argv is quoted for the remote shell). */
export async function sshExec(host: HarnessHostName, argv: readonly string[], hosts: HarnessHosts = describeHosts()): Promise<string> {
  const remote = argv.map(shQuote).join(' ');
  const { stdout } = await run(['/usr/bin/ssh', '-F', hosts.sshConfigPath, hosts.hosts[host].ip, remote]);
  return stdout;
}

function shQuote(s: string): string {
  return /^[A-Za-z0-9_\-.,:/=@%+]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
