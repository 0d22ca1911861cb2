// Where a backup's objects live, the same in every destination: `{project}/{env}/{id}/{key}`.
// The id sorts by time (`20250101T030000Z-1a2b`), the manifest is written last as
// `manifest.json`, and nothing outside `{project}/{env}/` is ever listed or deleted for that env.

/** The manifest's key inside a backup; its presence in a destination means the backup is complete there. */
export const MANIFEST_KEY = 'manifest.json';

const ID_RE = /^(\d{8}T\d{6}Z)-([0-9a-f]{4,12})$/;
const NAME_RE = /^[a-z0-9][a-z0-9-]*$/;

/** A new backup id from a time and a few random hex digits (sorts by time). */
export function newBackupId(at: Date, randomHex: string): string {
  const t = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `${t}-${randomHex}`;
}

export function isBackupId(id: string): boolean {
  return ID_RE.test(id);
}

/** When a backup was started, from its id (undefined for anything that is not an id). */
export function backupIdTime(id: string): Date | undefined {
  const m = ID_RE.exec(id);
  if (!m) return undefined;
  const s = m[1]!;
  return new Date(`${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`);
}

/** `{project}/{env}/`: the only prefix a workflow for this environment lists or deletes under. */
export function envPrefix(project: string, env: string): string {
  if (!NAME_RE.test(project) || !NAME_RE.test(env)) throw new Error(`bad project or environment name for a backup prefix: ${project}/${env}`);
  return `${project}/${env}/`;
}

/** `{project}/{env}/{id}/`. */
export function backupPrefix(project: string, env: string, id: string): string {
  if (!isBackupId(id)) throw new Error(`not a backup id: ${id}`);
  return `${envPrefix(project, env)}${id}/`;
}

/** The full key of an object of a backup. */
export function objectKey(project: string, env: string, id: string, key: string): string {
  if (key.startsWith('/') || key.split('/').some((p) => p === '..' || p === '' || p === '.')) throw new Error(`bad object key: ${key}`);
  return `${backupPrefix(project, env, id)}${key}`;
}

/** Object keys by kind (relative to the backup's prefix). Names are fleet names, so they are safe path parts. */
export const objectKeys = {
  postgres: (service: string, database: string) => `postgres/${service}/${database}.pgdump.age`,
  redis: (service: string, db: number) => `redis/${service}/db${db}.redis.age`,
  volume: (volume: string) => `volumes/${volume}.tar.age`,
};

/** Splits a full key under `{project}/{env}/` into the backup id and the key inside it (undefined if it is not one). */
export function parseObjectKey(project: string, env: string, full: string): { id: string; key: string } | undefined {
  const prefix = envPrefix(project, env);
  if (!full.startsWith(prefix)) return undefined;
  const rest = full.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return undefined;
  const id = rest.slice(0, slash);
  const key = rest.slice(slash + 1);
  if (!isBackupId(id) || !key) return undefined;
  return { id, key };
}
