// One snapshot of the fleet for the alert evaluator: the same plain data the metrics sample, plus
// certificates. A part left undefined was not read this time (its source failed); the alerts of
// that part keep their state instead of resolving, as do the alerts of a server that was not
// reached (`unreachable`) or whose part alone could not be read (`unread`).
import type { BackupSample, CertificateSample, ContainerSample, ServerSample } from '../metrics/metrics-source.ts';

export type { CertificateSample };

export interface Observation {
  servers?: ServerSample[];
  containers?: ContainerSample[];
  backups?: BackupSample[];
  certificates?: CertificateSample[];
  /**
   * Servers that could not be read this time, and the environments placed on them: alerts
   * labelled with one keep their state (an unreachable server is not a resolved alert).
   */
  unreachable?: { servers: string[]; envs: string[] };
  /**
   * Per part, the servers (or environments) that were reached but whose part could not be read
   * this time (e.g. a server's certificates): only that part's alerts labelled with one keep
   * their state.
   */
  unread?: Partial<Record<ObservationPart, { servers?: string[]; envs?: string[] }>>;
}

export type ObservationPart = 'servers' | 'containers' | 'backups' | 'certificates';
