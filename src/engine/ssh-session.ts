// SshSession: ONE ssh2 connection to one server, shared by everything that talks to it (Engine
// API streams to the Docker socket, dialed TCP streams, commands, sftp). It verifies the host
// key, turns low-level failures into SshErrors that name the server, and once the connection is
// lost it fails every open stream and every later call at once with "connection to X lost".
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Client as SshClient, ClientChannel, ConnectConfig, ServerHostKeyAlgorithm, SFTPWrapper } from 'ssh2';
import type { Server } from '../config/fleet.ts';
import { SshError, formatDuration } from './ssh-errors.ts';
import { verifyHostKey } from './ssh-host-key.ts';
import { fingerprintSha256, keyTypeOfBlob, knownKeyTypes, parseKnownHosts } from './ssh-known-hosts.ts';

const { Client, utils } = ssh2;

export interface SshConnectOptions {
  /** Default: env SLIPWAY_KNOWN_HOSTS, then SLIPWAY_SSH_KNOWN_HOSTS, then ~/.ssh/known_hosts. */
  knownHostsPath?: string;
  /** Default: server.transport.identity (~ expanded), then env SLIPWAY_SSH_KEY, then ssh-agent. */
  identityPath?: string;
  /** Default: env SSH_AUTH_SOCK. */
  agentSocket?: string;
  /** TCP connect + SSH handshake + login. Default 10 s. */
  connectTimeoutMs?: number;
  /** Keepalive probe interval; the connection counts as lost after 3 unanswered. Default 5 s. */
  keepaliveIntervalMs?: number;
  /** Where the defaults above are read from. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

type SshTransport = Extract<Server['transport'], { kind: 'ssh' }>;

/** Unanswered keepalives after which the connection counts as lost. */
const KEEPALIVE_COUNT_MAX = 3;

const DEFAULT_HOST_KEY_ALGOS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** Host key algorithms with the ones known_hosts lists for this host first (as OpenSSH does). */
function hostKeyAlgorithms(preferredTypes: readonly string[]): ServerHostKeyAlgorithm[] {
  const first: ServerHostKeyAlgorithm[] = [];
  for (const t of preferredTypes) {
    const algos = t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t];
    for (const a of algos)
      if ((DEFAULT_HOST_KEY_ALGOS as string[]).includes(a) && !first.includes(a as ServerHostKeyAlgorithm)) first.push(a as ServerHostKeyAlgorithm);
  }
  return [...first, ...DEFAULT_HOST_KEY_ALGOS.filter((a) => !first.includes(a))];
}

export function expandHome(path: string, env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME ?? homedir();
  if (path === '~') return home;
  if (path.startsWith('~/')) return `${home}/${path.slice(2)}`;
  return path;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Gives a channel the socket methods http and docker-modem call (they are no-ops on a channel). */
export function socketLike<T extends Duplex>(stream: T): T {
  const s = stream as unknown as Record<string, unknown>;
  for (const m of ['setNoDelay', 'setKeepAlive', 'setTimeout', 'ref', 'unref']) {
    if (typeof s[m] !== 'function') s[m] = () => stream;
  }
  return stream;
}

interface Auth {
  config: Pick<ConnectConfig, 'privateKey' | 'agent'>;
  /** How the key is described in an auth failure. */
  describe: string;
  /** Where the public key lives (for the hint). */
  publicKeyHint: string;
}

function resolveAuth(server: Server, t: SshTransport, opts: SshConnectOptions, env: NodeJS.ProcessEnv): Auth {
  const configured = opts.identityPath ?? (t.identity ? expandHome(t.identity, env) : undefined) ?? env.SLIPWAY_SSH_KEY;
  const agent = opts.agentSocket ?? env.SSH_AUTH_SOCK;
  let path = configured;
  if (!path && !agent) {
    path = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => expandHome(`~/.ssh/${f}`, env)).find((p) => readOptional(p) !== undefined);
  }
  if (path) {
    const text = readOptional(path);
    if (text === undefined) {
      throw new SshError(
        server.name,
        'config',
        'connect',
        `${server.name}: identity file ${path} does not exist (set identity for ${server.name} in slipway.yaml or SLIPWAY_SSH_KEY)`,
      );
    }
    const parsed = utils.parseKey(text);
    if (parsed instanceof Error) {
      const encrypted = /encrypted|passphrase/i.test(parsed.message);
      throw new SshError(
        server.name,
        'config',
        'connect',
        encrypted
          ? `${server.name}: identity ${path} is protected by a passphrase; load it into ssh-agent (ssh-add ${path}) and leave identity unset`
          : `${server.name}: identity ${path} is not a private key Slipway can read: ${parsed.message}`,
      );
    }
    const key = Array.isArray(parsed) ? parsed[0]! : parsed;
    const blob = key.getPublicSSH();
    return {
      config: { privateKey: text },
      describe: `${path} (${keyTypeOfBlob(blob)} ${fingerprintSha256(blob)})`,
      publicKeyHint: `${path}.pub`,
    };
  }
  if (agent) return { config: { agent }, describe: `offered by ssh-agent (${agent})`, publicKeyHint: 'ssh-add -L' };
  throw new SshError(
    server.name,
    'config',
    'connect',
    `${server.name}: no SSH identity: set identity for ${server.name} in slipway.yaml, or SLIPWAY_SSH_KEY, or start ssh-agent (SSH_AUTH_SOCK)`,
  );
}

function socketErrorDetail(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused (is sshd running and listening on that port?)';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to host (${err.code})`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the host name (${err.code})`;
    default:
      return err.message;
  }
}

export class SshSession {
  /** Set once the connection is lost or closed; every later call throws it. */
  private failure: SshError | undefined;
  private closing = false;
  private lastError: Error | undefined;
  private readonly streams = new Set<Duplex>();
  private readonly closed: Promise<void>;

  private constructor(
    readonly serverName: string,
    readonly user: string,
    readonly host: string,
    readonly port: number,
    readonly client: SshClient,
    /** The TCP socket under the SSH connection. */
    readonly socket: Socket,
    readonly keepaliveMs: number,
  ) {
    this.closed = new Promise((resolve) => client.once('close', () => resolve()));
    client.on('error', (err) => {
      this.lastError = err;
    });
    client.on('close', () => {
      if (this.closing) return;
      const e = this.lastError;
      const reason =
        e?.message === 'Keepalive timeout'
          ? `no answer to SSH keepalives for ${formatDuration(keepaliveMs * KEEPALIVE_COUNT_MAX)}`
          : (e?.message ?? 'the connection closed unexpectedly');
      this.fail(new SshError(serverName, 'lost', 'ssh', `connection to ${serverName} lost: ${reason}`));
    });
  }

  /** `host:port` of the server's sshd. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** Connects, verifies the host key and logs in; rejects with an SshError naming the server. */
  static open(server: Server, opts: SshConnectOptions = {}): Promise<SshSession> {
    const t = server.transport;
    if (t.kind !== 'ssh') return Promise.reject(new Error(`${server.name} is not an SSH server`));
    const env = opts.env ?? process.env;
    const timeoutMs = opts.connectTimeoutMs ?? 10_000;
    const keepaliveMs = opts.keepaliveIntervalMs ?? 5_000;
    const name = server.name;
    const where = `${name} (${t.host}:${t.port})`;
    const knownHostsPath = opts.knownHostsPath ?? env.SLIPWAY_KNOWN_HOSTS ?? env.SLIPWAY_SSH_KNOWN_HOSTS ?? expandHome('~/.ssh/known_hosts', env);
    let auth: Auth;
    let knownHostsText: string | undefined;
    try {
      auth = resolveAuth(server, t, opts, env);
      knownHostsText = t.hostKey === undefined ? readOptional(knownHostsPath) : undefined;
    } catch (err) {
      return Promise.reject(err);
    }
    const preferred = knownHostsText ? knownKeyTypes(parseKnownHosts(knownHostsText), t.host, t.port) : [];

    return new Promise<SshSession>((resolve, reject) => {
      const client = new Client();
      const sock = new Socket();
      let tcpConnected = false;
      let hostKeyError: SshError | undefined;
      let settled = false;
      const finish = (err: SshError | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.removeListener('error', onError);
        client.removeListener('close', onClose);
        if (err) {
          client.on('error', () => undefined); // late errors of a dead attempt
          sock.destroy();
          reject(err);
        } else {
          resolve(new SshSession(name, t.user, t.host, t.port, client, sock, keepaliveMs));
        }
      };
      const timer = setTimeout(() => {
        finish(
          tcpConnected
            ? new SshError(
                name,
                'timeout',
                'connect',
                `${where} accepted the TCP connection but did not complete the SSH login within ${formatDuration(timeoutMs)}`,
              )
            : new SshError(name, 'timeout', 'connect', `cannot reach ${where} within ${formatDuration(timeoutMs)}`),
        );
      }, timeoutMs);
      const onError = (err: Error & { level?: string; code?: string }) => {
        if (hostKeyError) return finish(hostKeyError);
        if (err.level === 'client-authentication') {
          return finish(
            new SshError(
              name,
              'auth',
              'connect',
              `${name} refused the key ${auth.describe} for user ${t.user}; hint: add the public key (${auth.publicKeyHint}) to ~/.ssh/authorized_keys of ${t.user}@${t.host}`,
            ),
          );
        }
        if (err.level === 'client-socket' && !tcpConnected) {
          return finish(new SshError(name, 'unreachable', 'connect', `cannot reach ${where}: ${socketErrorDetail(err)}`));
        }
        finish(new SshError(name, 'unreachable', 'connect', `SSH connection to ${where} failed: ${err.message}`));
      };
      const onClose = () => {
        finish(hostKeyError ?? new SshError(name, 'unreachable', 'connect', `${where} closed the connection during the SSH login`));
      };
      sock.once('connect', () => {
        tcpConnected = true;
        // Without this, Nagle holds back a request's second SSH packet until the server's
        // delayed ACK (~40 ms per API call). OpenSSH sets TCP_NODELAY for the same reason.
        sock.setNoDelay(true);
      });
      client.on('error', onError);
      client.on('close', onClose);
      client.once('ready', () => finish(undefined));
      client.connect({
        sock,
        username: t.user,
        ...auth.config,
        readyTimeout: 0, // our own timer covers connect + handshake + login
        keepaliveInterval: keepaliveMs,
        keepaliveCountMax: KEEPALIVE_COUNT_MAX,
        algorithms: { serverHostKey: hostKeyAlgorithms(preferred) },
        hostVerifier: (key: Buffer) => {
          const v = verifyHostKey({ serverName: name, host: t.host, port: t.port, pinned: t.hostKey, knownHostsPath, knownHostsText }, key);
          if (!v.ok) hostKeyError = v.error;
          return v.ok;
        },
      });
      sock.connect({ host: t.host, port: t.port });
    });
  }

  private fail(err: SshError, opts: { quiet?: boolean } = {}): void {
    if (this.failure) return;
    this.failure = err;
    // ssh2's Channel.destroy() ignores its error argument (it only ends and closes the channel),
    // so use the standard stream destroy: readers and http see an 'error' instead of waiting.
    // A stream nobody listens to for errors (an abandoned dial, or any stream on close()) is
    // destroyed quietly: an unhandled 'error' event would kill the process.
    // The error is emitted synchronously: right after the client's 'close' (where this runs),
    // ssh2 emits 'close' on every channel, and a destroy(err) would only emit 'error' on the
    // next tick — too late for http, which then reports a bare "socket hang up".
    for (const s of this.streams) {
      if (!opts.quiet && s.listenerCount('error') > 0) s.emit('error', streamError(err));
      Duplex.prototype.destroy.call(s);
    }
    this.streams.clear();
  }

  /** Throws (fast) when the connection is lost or closed. */
  assertUsable(): void {
    if (this.failure) throw this.failure;
  }

  /** Why the connection is unusable, or undefined while it is up. */
  get failed(): SshError | undefined {
    return this.failure;
  }

  private track<T extends Duplex>(s: T): T {
    if (this.failure) {
      s.destroy();
      throw this.failure;
    }
    this.streams.add(s);
    const untrack = () => this.streams.delete(s);
    s.once('close', untrack);
    return s;
  }

  /** Maps a channel-open failure: the session's own failure when the connection is gone. */
  private channelError(op: string, target: string, err: Error & { reason?: string | number }): SshError {
    if (this.failure) return this.failure;
    return new SshError(this.serverName, 'channel', op, `${this.serverName}: ${op} ${target} failed: ${err.message}`, target);
  }

  /**
   * A promise around an ssh2 call. ssh2 throws "Not connected" once its socket stopped being
   * writable, before the connection's 'close' (where the session fails): that is the connection
   * being lost too, and is reported as such.
   */
  private guard<T>(executor: (resolve: (v: T) => void, reject: (e: unknown) => void) => void): Promise<T> {
    return new Promise<T>(executor).catch((err: unknown) => {
      if ((err as Error | undefined)?.message !== 'Not connected') throw err;
      throw (
        this.failure ??
        new SshError(
          this.serverName,
          'lost',
          'ssh',
          `connection to ${this.serverName} lost: ${this.lastError?.message ?? 'the connection closed unexpectedly'}`,
        )
      );
    });
  }

  /** A stream to a unix socket on the server (direct-streamlocal), e.g. /var/run/docker.sock. */
  openUnixStream(path: string): Promise<ClientChannel> {
    return this.guard<ClientChannel>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.client.openssh_forwardOutStreamLocal(path, (err, ch) => {
        if (err) return reject(this.channelError('open', path, err));
        try {
          resolve(socketLike(this.track(ch)));
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  /** A TCP stream to host:port as seen from the server (direct-tcpip). */
  forwardOut(host: string, port: number, timeoutMs: number): Promise<ClientChannel> {
    return this.guard<ClientChannel>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      let done = false;
      const timer = setTimeout(() => {
        done = true;
        reject(
          new SshError(this.serverName, 'timeout', 'dial', `${this.serverName}: connect ${host}:${port} timed out after ${timeoutMs} ms`, `${host}:${port}`),
        );
      }, timeoutMs);
      try {
        this.client.forwardOut('127.0.0.1', 0, host, port, (err, ch) => {
          clearTimeout(timer);
          if (done) {
            ch?.destroy();
            return;
          }
          done = true;
          if (err) return reject(this.channelError('connect', `${host}:${port}`, err));
          try {
            resolve(socketLike(this.track(ch)));
          } catch (e) {
            reject(e);
          }
        });
      } catch (e) {
        clearTimeout(timer);
        reject(e);
      }
    });
  }

  /** Runs a command line (already quoted: see sshExec) in a session channel. */
  execChannel(command: string): Promise<ClientChannel> {
    return this.guard<ClientChannel>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.client.exec(command, (err, ch) => {
        if (err) return reject(this.channelError('exec', command, err));
        try {
          resolve(this.track(ch));
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  /** An sftp session; the caller ends it. */
  sftp(): Promise<SFTPWrapper> {
    return this.guard<SFTPWrapper>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.client.sftp((err, sftp) => {
        if (err) return reject(this.channelError('sftp', '', err));
        resolve(sftp);
      });
    });
  }

  /** Ends the connection; later calls fail with "connection to X is closed". */
  async close(): Promise<void> {
    if (this.closing) return this.closed;
    this.closing = true;
    this.fail(new SshError(this.serverName, 'closed', 'ssh', `connection to ${this.serverName} is closed`), { quiet: true });
    this.client.end();
    const timer = setTimeout(() => this.socket.destroy(), 2_000);
    await this.closed;
    clearTimeout(timer);
  }
}

/**
 * The error a stream fails with. A plain Error (not an SshError) so that DockerodeEngine wraps it
 * with the operation that was under way: `hostA: listContainers failed: connection to hostA lost: …`.
 */
function streamError(err: Error): Error {
  return Object.assign(new Error(err.message), { code: 'SLIPWAY_SSH_LOST' });
}

export { streamError as sshStreamError };
