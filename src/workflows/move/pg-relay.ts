// A small TCP relay on a server, so that the other server's Postgres can reach this one during a
// move (the subscription of logical replication, or the reverse one for a rollback): a container
// publishing `bindAddress:port` and forwarding each connection to the Postgres container's 5432 on
// a network they share. It runs a fixed Perl script (perl is in every Debian-based image, the
// official postgres images included, so the instance's own image does; the nginx image's stream
// module is not always installed), with its target passed in the environment. Labelled with the
// project, the environment and role `move-relay`; made again only when its settings change.
import { createHash } from 'node:crypto';
import { UserError } from '../../diag/errors.ts';
import type { DockerEngine } from '../../engine/docker-engine.ts';
import { LABELS } from '../../model/labels.ts';

export const RELAY_ROLE = 'move-relay';
const LISTENING = 'slipway-relay listening';

/** Forks one process per connection and copies bytes both ways until either side closes. */
const RELAY_SCRIPT = `use strict; use warnings; use IO::Socket::INET; use IO::Select; use POSIX ":sys_wait_h";
$SIG{CHLD} = sub { 1 while waitpid(-1, WNOHANG) > 0 };
$SIG{PIPE} = "IGNORE";
my $l = IO::Socket::INET->new(LocalAddr => "0.0.0.0", LocalPort => 5432, Listen => 128, ReuseAddr => 1, Proto => "tcp") or die "listen: $!";
$| = 1; print "${LISTENING}\\n";
while (1) {
  my $c = $l->accept or next;
  my $pid = fork;
  if (!defined $pid || $pid) { close $c; next }
  close $l;
  my $u = IO::Socket::INET->new(PeerAddr => $ENV{RELAY_HOST}, PeerPort => $ENV{RELAY_PORT}, Proto => "tcp", Timeout => 10) or exit 1;
  my $s = IO::Select->new($c, $u);
  OUTER: while (1) {
    for my $r ($s->can_read) {
      my $w = $r == $c ? $u : $c;
      my $n = sysread($r, my $buf, 65536);
      last OUTER if !$n;
      my $off = 0;
      while ($off < $n) { my $k = syswrite($w, $buf, $n - $off, $off); last OUTER if !defined $k; $off += $k }
    }
  }
  exit 0;
}`;

export interface RelayOptions {
  project: string;
  env: string;
  /** The Postgres container the relay forwards to. */
  pgContainer: string;
  /** A docker network the Postgres container is on (the relay joins it). */
  network: string;
  /** The address of this server the relay is published on (one the other server reaches). */
  bindAddress: string;
  /** The port to publish on; when taken (another environment's or project's move), the next ones, up to `portsToTry` in all. */
  port: number;
  portsToTry?: number;
  /** An image with perl on the server (the instance's own postgres image). */
  image: string;
}

export const relayName = (project: string, env: string): string => `${project}-${env}-move-relay`;

const relayLabels = (project: string, env: string) => ({ [LABELS.project]: project, [LABELS.env]: env, [LABELS.role]: RELAY_ROLE });

/** The label that says which port a relay was published on. */
const PORT_LABEL = 'slipway.relay-port';

const isPortTaken = (e: unknown): boolean => /port is already allocated|address already in use/i.test(String((e as Error)?.message ?? e));

/**
 * Creates the relay, or keeps the one there when its settings are the same; returns where it
 * listens. The port is the first of `port`, `port + 1`, … that is free on the address (several
 * moves from one server at once each get their own); a kept relay keeps its port.
 */
export async function ensureRelay(engine: DockerEngine, opts: RelayOptions): Promise<{ host: string; port: number }> {
  const hash = createHash('sha256')
    .update(JSON.stringify([RELAY_SCRIPT, opts.pgContainer, opts.network, opts.bindAddress, opts.port, opts.image]))
    .digest('hex')
    .slice(0, 16);
  const name = relayName(opts.project, opts.env);
  const existing = await engine.listContainers(relayLabels(opts.project, opts.env), { all: true });
  for (const c of existing) {
    const kept = Number(c.labels[PORT_LABEL] ?? opts.port);
    if (c.name === name && c.labels[LABELS.specHash] === hash && Number.isInteger(kept)) {
      if (c.state !== 'running') await engine.startContainer(name);
      await waitListening(engine, name);
      return { host: opts.bindAddress, port: kept };
    }
    await engine.removeContainer(c.id, { force: true });
  }
  const tries = Math.max(1, opts.portsToTry ?? 1);
  for (let i = 0; ; i++) {
    const port = opts.port + i;
    try {
      await createRelay(engine, opts, name, hash, port);
      return { host: opts.bindAddress, port };
    } catch (e) {
      await engine.removeContainer(name, { force: true }).catch(() => undefined);
      if (!isPortTaken(e)) throw e;
      if (i + 1 >= tries)
        throw new UserError(
          `${engine.serverName}: no free port for the Postgres relay on ${opts.bindAddress} (${opts.port}–${port} are taken)`,
          'finish or roll back the other moves from this server (slipway move ENV --status), or free one of those ports',
        );
    }
  }
}

async function createRelay(engine: DockerEngine, opts: RelayOptions, name: string, hash: string, port: number): Promise<void> {
  await engine.createContainer({
    name,
    image: opts.image,
    entrypoint: ['perl'],
    cmd: ['-e', RELAY_SCRIPT],
    env: { RELAY_HOST: opts.pgContainer, RELAY_PORT: '5432' },
    labels: { ...relayLabels(opts.project, opts.env), [LABELS.specHash]: hash, [PORT_LABEL]: String(port) },
    networks: [{ name: opts.network, aliases: [] }],
    mounts: [],
    restart: 'unless-stopped',
    stopTimeoutS: 2,
    user: 'nobody',
    publish: [{ hostIp: opts.bindAddress, hostPort: port, containerPort: 5432 }],
    memory: 64 * 1024 * 1024,
  });
  await engine.startContainer(name);
  await waitListening(engine, name);
}

async function waitListening(engine: DockerEngine, name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const info = await engine.inspectContainer(name);
    if (info.state !== 'running' && info.state !== 'restarting' && info.state !== 'created') break;
    if ((await engine.containerLogs(name, { tail: 20 })).includes(LISTENING)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const logs = await engine.containerLogs(name, { tail: 5 }).catch(() => '');
  throw new UserError(
    `${engine.serverName}: the Postgres relay ${name} did not start: ${logs.trim().split('\n').join(' | ')}`,
    `look at it: docker logs ${name}`,
  );
}

/** Removes the environment's relay (nothing when there is none). */
export async function removeRelay(engine: DockerEngine, project: string, env: string): Promise<void> {
  for (const c of await engine.listContainers(relayLabels(project, env), { all: true })) await engine.removeContainer(c.id, { force: true });
}
