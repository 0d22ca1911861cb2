// The port the metrics (and the alert evaluator) read the fleet through: plain data sampled at
// scrape time. The control plane implements it over the engines and the state on the servers;
// tests pass a fake. Times are epoch milliseconds; sizes are bytes.

/** Docker's health vocabulary: `none` is a running container without a health check. */
export type ContainerHealth = 'healthy' | 'unhealthy' | 'starting' | 'none';

export interface ContainerSample {
  server: string;
  project: string;
  env: string;
  app: string;
  process: string;
  /** The physical container name (it carries the release). */
  container: string;
  /** CPU time used since the container started, in seconds. */
  cpuSeconds: number;
  memoryBytes: number;
  /** The memory limit; undefined (or 0) when the container has none. */
  memoryLimitBytes?: number;
  /** Docker's restart count for this container. */
  restarts: number;
  health: ContainerHealth;
}

export interface ServerSample {
  server: string;
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  /** Used and total bytes of the file system that holds the Docker root. */
  diskUsedBytes: number;
  diskTotalBytes: number;
  load1: number;
  /** CPUs the engine reports, when known. */
  cpus?: number;
}

export interface BackupSample {
  env: string;
  /** When the last backup that ended `ok` finished; undefined when there is none. */
  lastGoodAt?: number;
  /** When the last restore drill (`backup verify`) finished; undefined when none ran. */
  lastVerifyAt?: number;
  /** Whether that last drill passed. */
  lastVerifyOk?: boolean;
}

/** A certificate a server's proxy serves (as `slipway certs` lists it). */
export interface CertificateSample {
  server: string;
  /** The certificate's main name. */
  domain: string;
  /** When it stops being valid, epoch milliseconds. */
  notAfter: number;
}

export interface MetricsSource {
  containers(): Promise<ContainerSample[]>;
  servers(): Promise<ServerSample[]>;
  backups(): Promise<BackupSample[]>;
  /** Finished deploys the fleet recorded (its servers' audit logs), each with a stable id: counted once per id. */
  deploys?(): Promise<(DeployEvent & { id: string })[]>;
  /** Every server of the fleet, and whether it could be reached. */
  serversUp?(): Promise<{ server: string; up: boolean }[]>;
  /** The certificates the servers' proxies serve. */
  certificates?(): Promise<CertificateSample[]>;
}

/** One finished deploy (or rollback), recorded by the workflow's caller. */
export interface DeployEvent {
  env: string;
  app: string;
  outcome: 'ok' | 'failed' | 'rolled-back';
  durationSeconds: number;
}
