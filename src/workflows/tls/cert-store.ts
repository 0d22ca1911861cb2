// Certificates and ACME account keys in the server's state store (files 0600, directory 0700), so
// they survive proxy restarts and recreation: `tls/account-<hash of directory>.pem`,
// `tls/certs/<host>.json` (chain and what it says) and `tls/certs/<host>.key` (its private key).
import { createHash } from 'node:crypto';
import { engineFile } from '../../engine/secret-handover.ts';
import { Secret } from '../../util/secret.ts';
import type { StateStore } from '../state-store.ts';
import type { CertInfo } from './cert-info.ts';

export type CertSource = 'acme' | 'files';

export interface CertRecord extends CertInfo {
  host: string;
  source: CertSource;
  /** The challenge it was obtained with (ACME only). */
  challenge?: 'http' | 'dns';
  /** The ACME directory it came from. */
  directory?: string;
  obtainedAt: string;
  /** PEM chain, leaf first. */
  fullchain: string;
}

const DIR = 'tls/certs';
const certPath = (host: string) => `${DIR}/${encodeURIComponent(host)}.json`;
const keyPath = (host: string) => `${DIR}/${encodeURIComponent(host)}.key`;

export function accountKeyPath(directory: string): string {
  return `tls/account-${createHash('sha256').update(directory).digest('hex').slice(0, 16)}.pem`;
}

export async function readAccountKey(store: StateStore, directory: string): Promise<Buffer | undefined> {
  const b = await store.read(accountKeyPath(directory));
  return b?.length ? b : undefined;
}

export async function writeAccountKey(store: StateStore, directory: string, key: Buffer): Promise<void> {
  await store.write(accountKeyPath(directory), key, 0o600);
}

export async function readCert(store: StateStore, host: string): Promise<CertRecord | undefined> {
  return store.readJson<CertRecord>(certPath(host));
}

export async function readCertKey(store: StateStore, host: string): Promise<Secret | undefined> {
  const b = await store.read(keyPath(host));
  return b?.length ? new Secret(b.toString('utf8'), `tls key ${host}`) : undefined;
}

/** Stores the chain and its key (both 0600); the key is unwrapped only for the store's file. */
export async function writeCert(store: StateStore, rec: CertRecord, key: Secret): Promise<void> {
  await store.write(keyPath(rec.host), engineFile(key), 0o600);
  await store.writeJson(certPath(rec.host), rec, 0o600);
}

/** Every certificate record on the server, by host. */
export async function listCerts(store: StateStore): Promise<CertRecord[]> {
  const files = await store.readDir(DIR);
  const out: CertRecord[] = [];
  for (const [path, content] of files) {
    if (!path.endsWith('.json') || content.length === 0) continue;
    try {
      out.push(JSON.parse(content.toString('utf8')) as CertRecord);
    } catch {
      // A damaged record is obtained again by the next `up`.
    }
  }
  return out.sort((a, b) => a.host.localeCompare(b.host));
}
