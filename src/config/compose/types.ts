// The compose project as Slipway reads it: the subset of docker-compose that maps onto Slipway
// processes, already interpolated and normalized (durations in ms, sizes in bytes, argv arrays).
import type { ContainerOptions, DependsCondition } from '../fleet.ts';
import type { SourcePos } from '../../diag/diagnostic.ts';

export interface ComposeVolumeMount {
  /** Named volume (`pgdata`) or bind source as written (`./conf`, `/srv/x`). */
  source: string;
  target: string;
  readOnly: boolean;
  kind: 'volume' | 'bind';
  /** Key path (`services/web/volumes/0`) and position of the entry, for diagnostics about it. */
  path?: string;
  pos?: SourcePos;
}

export interface ComposePort {
  /** Container port (the first one becomes the process port). */
  container: number;
  /** Host side as written (`8080`, `127.0.0.1:8080`); Slipway never publishes it. */
  published?: string;
  protocol: 'tcp' | 'udp';
}

export interface ComposeHealth {
  /** As in compose: `["CMD", ...]`, `["CMD-SHELL", "..."]`. */
  test: string[];
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
  startPeriodMs?: number;
}

/** Slipway's own settings on a compose service (`x-slipway:`), which compose itself ignores. */
export interface ComposeSlipwayExtension {
  /** true: the app's domains route to this service; false: never. */
  web?: boolean;
  /** Domains of this service itself: one, a list, or a map environment → domain(s) with `default`. */
  domains?: string | string[] | Record<string, string | string[]>;
}

export interface ComposeService {
  name: string;
  image?: string;
  /** Paths as written in the compose file (relative to its directory); dockerfile relative to context. */
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment: Record<string, string>;
  /** Container port of the first `ports` entry, else the first `expose`. */
  port?: number;
  ports: ComposePort[];
  expose: number[];
  volumes: ComposeVolumeMount[];
  /** `configs:` and `secrets:` of the service (read-file-refs.ts). */
  fileRefs?: ComposeFileRef[];
  networks: string[];
  /** Extra DNS names other services may use for this one (network aliases, container_name, hostname). */
  hostAliases: string[];
  /** `links:` of this service: the service linked to, and the extra name it gets (`db:database`). */
  links?: { service: string; alias?: string }[];
  dependsOn: string[];
  /** `depends_on` conditions other than `service_started`, by service (read-depends-on.ts). */
  dependsOnCondition?: Record<string, DependsCondition>;
  health?: ComposeHealth;
  memory?: number;
  cpus?: number;
  replicas?: number;
  stopGracePeriodMs?: number;
  labels: Record<string, string>;
  /** Container options (user, tmpfs, cap_add, ulimits, restart, logging…): read-container-options.ts. */
  options?: ContainerOptions;
  /** `x-slipway:` on the service: whether the app's domains route here, and its own domains. */
  slipway?: ComposeSlipwayExtension;
  pos: SourcePos;
  /** Where each environment variable was defined (for diagnostics about values). */
  envPos: Record<string, SourcePos>;
}

export interface ComposeProject {
  /** The first compose file: relative paths in every file are relative to its directory. */
  file: string;
  /** Every file merged into this project, in order (the first is `file`). */
  files: string[];
  /** Top-level `name:`, if any. */
  name?: string;
  services: ComposeService[];
  volumes: string[];
  networks: string[];
  /** Settings of the top-level `networks:` Slipway honours, by compose name (absent: a plain network). */
  networkSettings?: Record<string, ComposeNamedSettings>;
  /** Settings of the top-level `volumes:` Slipway honours, by compose name. */
  volumeSettings?: Record<string, ComposeNamedSettings>;
  /** Top-level `configs:` and `secrets:`, by name. */
  configs?: Record<string, ComposeFileDef>;
  secrets?: Record<string, ComposeFileDef>;
}

/** What Slipway honours of a top-level network or volume. */
export interface ComposeNamedSettings {
  /** `external: true`: an existing object, used by this name as is (its `name:`, else its key). */
  external?: string;
  /** Networks: `internal: true`. */
  internal?: boolean;
  /** Where it is declared. */
  pos?: SourcePos;
}

/** A top-level `configs:`/`secrets:` definition: only `file:` ones are shipped. */
export interface ComposeFileDef {
  /** Path as written (relative to the compose file's directory). */
  file?: string;
  /** `environment: VAR`: the value of an environment variable (not imported). */
  environment?: string;
  /** `content:` inline (not imported). */
  content?: boolean;
  external?: boolean;
  pos: SourcePos;
}

/** A service's reference to a config or secret (`- name` or `{ source, target, uid, gid, mode }`). */
export interface ComposeFileRef {
  kind: 'config' | 'secret';
  source: string;
  /** Default: `/<source>` for a config, `/run/secrets/<source>` for a secret. */
  target?: string;
  uid?: number;
  gid?: number;
  mode?: number;
  /** Key path of the reference (`services/api/secrets/0`). */
  path: string;
  pos: SourcePos;
}
