// The Destination port: where a backup's objects are stored (the server's own backup volume,
// another host over SFTP, S3-compatible storage). Implementations live in
// workflows/backup/destinations/ (local, sftp, s3) and a recording in-memory fake
// (memory-destination.ts) serves unit tests. Keys are full keys, `{project}/{env}/{id}/{key}`
// (layout.ts); a destination never interprets them beyond that.
import type { Readable } from 'node:stream';

/** An object as listed: its full key and stored size in bytes. */
export interface ObjectEntry {
  key: string;
  size: number;
}

/** What a destination says of a stored object: its size and the sha256 (hex) of the stored bytes. */
export interface ObjectStat {
  size: number;
  sha256: string;
}

export interface Destination {
  /** The destination's name in the fleet file (`local`, `offsite`…), used in every message. */
  readonly name: string;
  /** Where it is, for people: `local volume suffren-slipway-backups on vps1`, `sftp root@10.200.0.3:/srv/backups`, `s3 bucket b at http://…`. No secret. */
  readonly where: string;
  /**
   * Stores `body` under `key`, streaming (bounded memory whatever the size). The object becomes
   * visible under its key only once complete (temporary name then rename, or a completed multipart
   * upload). Rejects (naming the destination) when the upload fails; nothing partial is then left under `key`.
   */
  put(key: string, body: Readable): Promise<void>;
  /** The stored bytes of `key` as a stream. Rejects when the object does not exist. */
  get(key: string): Promise<Readable>;
  /** Every object whose key starts with `prefix` (recursively), in key order. */
  list(prefix: string): Promise<ObjectEntry[]>;
  /**
   * Size and sha256 of the stored object, computed from the bytes as the destination holds them
   * (hashed on the far side, or read back), or null when it does not exist. This is what makes a
   * backup `ok`: never the bytes the uploader believes it sent.
   */
  stat(key: string): Promise<ObjectStat | null>;
  /** Deletes these objects (missing ones are ignored). */
  delete(keys: readonly string[]): Promise<void>;
  /** Closes connections the destination opened. */
  close(): Promise<void>;
}
