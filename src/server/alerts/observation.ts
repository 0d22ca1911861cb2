// One snapshot of the fleet for the alert evaluator: the same plain data the metrics sample, plus
// certificates. A part left undefined was not read this time (its source failed); the alerts of
// that part keep their state instead of resolving.
import type { BackupSample, ContainerSample, ServerSample } from '../metrics/metrics-source.ts';

export interface CertificateSample {
  /** The certificate's main name. */
  domain: string;
  /** When it stops being valid, epoch milliseconds. */
  notAfter: number;
}

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
}

export type ObservationPart = 'servers' | 'containers' | 'backups' | 'certificates';
