// Host key policy for the SSH transport: the key a server presents must equal the key pinned in
// the fleet (`host_key: "SHA256:…"`), or else be listed for that host in known_hosts. Anything
// else is refused with a message naming the server, the key's fingerprint and how to accept it.
// Never trust on first use. Pure: the caller passes known_hosts' text.
import { fingerprintSha256, keyTypeOfBlob, knownHostsName, lookupKnownHost, normalizeFingerprint, parseKnownHosts } from './ssh-known-hosts.ts';
import { SshError } from './ssh-errors.ts';

export interface HostKeyPolicy {
  serverName: string;
  host: string;
  port: number;
  /** `server.transport.hostKey`: a `SHA256:…` fingerprint (or a public key line). */
  pinned?: string;
  knownHostsPath: string;
  /** The file's text; undefined when it does not exist. */
  knownHostsText: string | undefined;
}

export type HostKeyVerdict = { ok: true; via: 'pinned' | 'known_hosts'; fingerprint: string } | { ok: false; error: SshError };

/** Checks a host key blob (SSH wire format) against the policy. */
export function verifyHostKey(policy: HostKeyPolicy, keyBlob: Buffer): HostKeyVerdict {
  const { serverName: name, host, port, knownHostsPath: khPath } = policy;
  const fp = fingerprintSha256(keyBlob);
  const type = keyTypeOfBlob(keyBlob);
  const where = `${name} (${host}:${port})`;
  const presented = `${type} ${fp}`;
  const fail = (kind: SshError['kind'], msg: string): HostKeyVerdict => ({ ok: false, error: new SshError(name, kind, 'connect', msg) });

  if (policy.pinned !== undefined) {
    const pin = normalizeFingerprint(policy.pinned);
    if (!pin) {
      return fail(
        'config',
        `${name}: host_key in slipway.yaml must be a SHA256 fingerprint as printed by \`ssh-keygen -lf\` (e.g. "SHA256:…"); the server presented ${presented}`,
      );
    }
    if (pin === fp) return { ok: true, via: 'pinned', fingerprint: fp };
    return fail(
      'host-key-changed',
      `HOST KEY CHANGED for ${where}: it presented ${presented}, but slipway.yaml pins host_key "${pin}". ` +
        'Someone may be intercepting the connection, or the server was reinstalled; refusing to connect. ' +
        `If the change is expected, check the new fingerprint on the server itself (ssh-keygen -lf /etc/ssh/ssh_host_${shortType(type)}_key.pub) ` +
        `and set host_key: "${fp}" for ${name} in slipway.yaml.`,
    );
  }

  const verdict = lookupKnownHost(parseKnownHosts(policy.knownHostsText ?? ''), host, port, keyBlob);
  const keyscan = `ssh-keyscan -p ${port} ${host} >> ${khPath}`;
  const howToAccept =
    `To accept it, first check the fingerprint on the server itself (ssh-keygen -lf /etc/ssh/ssh_host_${shortType(type)}_key.pub), then ` +
    `either pin it in slipway.yaml (servers: ${name}: host_key: "${fp}") or add it to known_hosts (${keyscan}).`;
  switch (verdict.kind) {
    case 'match':
      return { ok: true, via: 'known_hosts', fingerprint: fp };
    case 'revoked':
      return fail('host-key-revoked', `${where} presented ${presented}, which ${khPath}:${verdict.entry.line} marks @revoked; refusing to connect.`);
    case 'changed': {
      const old = verdict.entries.map((e) => `${fingerprintSha256(Buffer.from(e.keyBase64, 'base64'))} (line ${e.line})`).join(', ');
      return fail(
        'host-key-changed',
        `HOST KEY CHANGED for ${where}: it presented ${presented}, but ${khPath} has ${old} for ${knownHostsName(host, port)}. ` +
          'Someone may be intercepting the connection, or the server was reinstalled; refusing to connect. ' +
          `If the change is expected, check the new fingerprint on the server itself, remove the old entry (ssh-keygen -R ${knownHostsName(host, port)} -f ${khPath}) ` +
          `and add the new one (${keyscan}), or pin host_key: "${fp}" in slipway.yaml.`,
      );
    }
    case 'other-type': {
      const types = [...new Set(verdict.entries.map((e) => e.keyType))].join(', ');
      return fail('host-key-unknown', `${where} presented ${presented}, but ${khPath} only lists ${types} keys for it; refusing to connect. ${howToAccept}`);
    }
    case 'unknown':
      return fail(
        'host-key-unknown',
        `${where} presented an unknown host key ${presented} (not pinned in slipway.yaml, not in ${khPath}${policy.knownHostsText === undefined ? ', which does not exist' : ''}); refusing to connect. ${howToAccept}`,
      );
  }
}

function shortType(type: string): string {
  if (type === 'ssh-ed25519') return 'ed25519';
  if (type.startsWith('ecdsa-')) return 'ecdsa';
  if (type === 'ssh-rsa') return 'rsa';
  return '*';
}
