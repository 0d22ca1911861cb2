// Naming rules for everything desire creates (networks, aliases, containers, volumes, databases).
// One place, so renderers, observe mappers and checks agree with desire on every name.

export const privateNetwork = (p: string, e: string): string => `${p}-${e}`;
export const edgeNetwork = (p: string, e: string): string => `${p}-${e}-edge`;
/**
 * Docker's default network, which every engine has and nothing deletes: the proxy is created on
 * it, so its published ports stay bound there while it joins and leaves the edge networks.
 */
export const DEFAULT_BRIDGE = 'bridge';
/** One network of one app in one env (a compose network): `{p}-{env}-{app}-{network}`. */
export const appNetwork = (p: string, e: string, a: string, n: string): string => `${p}-${e}-${a}-${n}`;

/** Stable DNS alias of a process on its env's networks: `{app}-{env}-{process}`. */
export const processAlias = (a: string, e: string, w: string): string => `${a}-${e}-${w}`;

/** Container key: `{app}/{env}/{process}/{replica}`. */
export const appContainerKey = (a: string, e: string, w: string, r: number): string => `${a}/${e}/${w}/${r}`;
/** Physical name prefix; the release is appended at deploy time. */
export const appContainerName = (p: string, a: string, e: string, w: string, r: number): string => `${p}-${a}-${e}-${w}-${r}`;

export const appVolume = (p: string, e: string, a: string, v: string): string => `${p}-${e}-${a}-${v}`;
/** The environment's files volume: repository files and folders shipped for its containers' bind mounts. */
export const filesVolume = (p: string, e: string): string => `${p}-${e}-files`;

/** Service container key: `service/{name}` (server scope) or `service/{name}/{env}` (env scope). */
export const serviceKey = (name: string, env?: string): string => (env === undefined ? `service/${name}` : `service/${name}/${env}`);
export const serviceContainerName = (p: string, name: string, env?: string): string => (env === undefined ? `${p}-${name}` : `${p}-${name}-${env}`);
export const serviceDataVolume = (p: string, name: string, env?: string): string => (env === undefined ? `${p}-${name}-data` : `${p}-${name}-${env}-data`);
/** Extra volumes a service declares: `{p}-{service}[-{env}]-{volume}`. */
export const serviceVolume = (p: string, name: string, vol: string, env?: string): string =>
  env === undefined ? `${p}-${name}-${vol}` : `${p}-${name}-${env}-${vol}`;

export const PROXY_KEY = 'proxy';
export const proxyContainerName = (p: string): string => `${p}-proxy`;
export const proxyDataVolume = (p: string): string => `${p}-proxy-data`;

/** Lowercase, anything outside [a-z0-9_] becomes `_`. */
export const sqlIdent = (s: string): string => s.toLowerCase().replace(/[^a-z0-9_]/g, '_');
/** Database and user name of an app in one env: `{app}_{env}`, sanitized. */
export const databaseName = (a: string, e: string): string => sqlIdent(`${a}_${e}`);
export const dbPasswordSecret = (instanceName: string, db: string): string => `pg/${instanceName}/${db}`;
export const dbUrlSecret = (instanceName: string, db: string): string => `pg/${instanceName}/${db}/url`;
export const superuserSecret = (service: string): string => `slipway/${service}/superuser`;

/** Redis ACL user of an app in one env: `{app}.{env}` (app and env names have no dot). */
export const redisUserName = (a: string, e: string): string => `${a}.${e}`;
/** Slipway's own Redis user (allocations, flushes, backups, live checks); never given to an app. */
export const REDIS_ADMIN_USER = 'slipway-admin';
/** The ACL file inside a Redis instance's data volume: password hashes only, never a password. */
export const REDIS_ACL_FILE = '/data/users.acl';
export const redisAdminSecret = (instanceName: string): string => `slipway/${instanceName}/admin`;
export const redisPasswordSecret = (instanceName: string, user: string): string => `slipway/${instanceName}/users/${user}`;
export const redisUrlSecret = (instanceName: string, user: string): string => `slipway/${instanceName}/users/${user}/url`;
