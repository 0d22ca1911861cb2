// The backup policy of an environment, as the fleet file states it once normalized
// (config/normalize-backup.ts): what to back up, when (cron), to which destinations with which
// grandfather-father-son retention each, and the age recipients every object is encrypted to.
// Pure data: the destinations' credentials are secret references, resolved only by the adapters.

/** What a backup can hold: each Postgres database of the environment, its Redis DBs, its apps' volumes. */
export type BackupWhat = 'postgres' | 'redis' | 'volumes';
export const BACKUP_WHAT: readonly BackupWhat[] = ['postgres', 'redis', 'volumes'];

/** Grandfather-father-son retention: how many backups to keep per hour, day, ISO week and month (0 = none of that tier). */
export interface Retention {
  /** The newest N backups, whatever their age. */
  last: number;
  hourly: number;
  daily: number;
  weekly: number;
  monthly: number;
}

/** Where backups go. `local`: a volume on the environment's own server (`{project}-slipway-backups`). */
export type DestinationConfig =
  | { kind: 'local' }
  | {
      kind: 'sftp';
      user: string;
      host: string;
      port: number;
      /** Directory on the host under which `{project}/{env}/{id}/…` is written. */
      path: string;
      /** Pinned host key (`ssh-ed25519 AAAA…`); else known_hosts. */
      hostKey?: string;
      /** Private key file; else SLIPWAY_SSH_KEY, then ssh-agent. */
      identity?: string;
    }
  | {
      kind: 's3';
      /** `https://s3.example.com`; unset: AWS. */
      endpoint?: string;
      bucket: string;
      region: string;
      /** Key prefix inside the bucket, before `{project}/…` ('' or ending in `/`). */
      prefix: string;
      /** Names of the secrets holding the access key id and the secret key (never the values). */
      accessKeySecret: string;
      secretKeySecret: string;
      /** Path-style URLs (`endpoint/bucket/key`), which most S3-compatible servers need. Default true with an endpoint. */
      forcePathStyle: boolean;
    };

export interface BackupDestination {
  /** The name in the fleet file (`local` is built in). */
  name: string;
  config: DestinationConfig;
  retention: Retention;
}

export interface BackupPolicy {
  /** Cron expression (5 fields, or 6 with seconds), validated at load. `serve` runs it; until then cron or CI runs `slipway backup`. */
  schedule: string;
  what: BackupWhat[];
  /** age recipients (`age1…` public keys); the private key is never needed on a server. */
  recipients: string[];
  destinations: BackupDestination[];
}
