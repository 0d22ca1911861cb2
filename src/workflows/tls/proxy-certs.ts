// Certificate files in the proxy's data volume (mounted at /data in both proxies):
// /data/slipway/certs/<host>/{fullchain,privkey}.pem (0600, directories 0700), the HTTP-01
// webroot /data/slipway/acme/.well-known/acme-challenge/<token> that nginx serves on port 80, and
// the ACME CA root Caddy's own ACME client trusts, /data/slipway/acme-ca-root.pem.
import { isNotFound } from '../../engine/engine-errors.ts';
import { engineFile } from '../../engine/secret-handover.ts';
import type { DockerEngine } from '../../engine/docker-engine.ts';
import { packTar, unpackTar, type TarEntry } from '../../engine/tar.ts';
import type { Secret } from '../../util/secret.ts';
import { ACME_WEBROOT, CERT_DIR } from '../../model/tls.ts';

// Tar paths (relative to the container's /) of model/tls.ts's places, which the renderers name.
const CERTS_DIR = CERT_DIR.slice(1);
const WEBROOT = ACME_WEBROOT.slice(1);

const dir = (path: string, mode: number): TarEntry => ({ path, content: '', mode, type: 'dir' });

/** Writes one host's chain and key (the key unwrapped for the container's file only). */
export async function installCert(engine: DockerEngine, proxy: string, host: string, fullchain: string, key: Secret): Promise<void> {
  await engine.putArchive(
    proxy,
    '/',
    await packTar([
      dir('data/slipway', 0o755),
      dir(CERTS_DIR, 0o700),
      dir(`${CERTS_DIR}/${host}`, 0o700),
      { path: `${CERTS_DIR}/${host}/fullchain.pem`, content: fullchain, mode: 0o600 },
      { path: `${CERTS_DIR}/${host}/privkey.pem`, content: engineFile(key), mode: 0o600 },
    ]),
  );
}

/** The chains in place in the proxy, by host (both files present); empty when the proxy or the directory is missing. */
export async function installedCerts(engine: DockerEngine, proxy: string): Promise<Map<string, string>> {
  let entries: Awaited<ReturnType<typeof unpackTar>>;
  try {
    entries = await unpackTar(await engine.getArchive(proxy, `/${CERTS_DIR}`));
  } catch (e) {
    if (isNotFound(e)) return new Map();
    throw e;
  }
  const chains = new Map<string, string>();
  const keys = new Set<string>();
  for (const e of entries) {
    if (e.type !== 'file') continue;
    const m = /(?:^|\/)certs\/([^/]+)\/(fullchain|privkey)\.pem$/.exec(e.path);
    if (!m || e.content.length === 0) continue;
    if (m[2] === 'fullchain') chains.set(m[1]!, e.content.toString('utf8'));
    else keys.add(m[1]!);
  }
  for (const host of [...chains.keys()]) if (!keys.has(host)) chains.delete(host);
  return chains;
}

/** Puts an HTTP-01 response where nginx serves it. */
export async function placeHttpToken(engine: DockerEngine, proxy: string, token: string, keyAuthorization: string): Promise<void> {
  assertToken(token);
  await engine.putArchive(
    proxy,
    '/',
    await packTar([
      dir('data/slipway', 0o755),
      dir(WEBROOT, 0o755),
      dir(`${WEBROOT}/.well-known`, 0o755),
      dir(`${WEBROOT}/.well-known/acme-challenge`, 0o755),
      { path: `${WEBROOT}/.well-known/acme-challenge/${token}`, content: keyAuthorization, mode: 0o644 },
    ]),
  );
}

export async function removeHttpToken(engine: DockerEngine, proxy: string, token: string): Promise<void> {
  assertToken(token);
  await engine.exec(proxy, ['rm', '-f', `/${WEBROOT}/.well-known/acme-challenge/${token}`]);
}

/** ACME tokens are base64url (RFC 8555 §8.1): anything else never becomes a path. */
function assertToken(token: string): void {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new Error(`ACME token ${JSON.stringify(token.slice(0, 80))} is not base64url`);
}
