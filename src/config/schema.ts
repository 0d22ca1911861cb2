// The fleet file's schema (slipway.yaml), as zod types over the raw YAML. Messages here are
// what users read, so each field says what it expects. Normalization happens in normalize.ts.
import { MAX_REPLICAS } from '../model/limits.ts';
import { z } from 'zod';
import { parseDuration } from '../util/duration.ts';
import { parseSize } from '../util/size.ts';
import { recipientsSection, secretsSection } from './secrets-config.ts';
import { backupsSchema, envBackupSchema } from './backup-schema.ts';
import { controlPlaneSchema } from './control-plane-schema.ts';
import { envMoveSchema } from './move-schema.ts';
import { dnsSchema, envTlsSchema, fleetTlsSchema } from './tls-schema.ts';

export const NAME_RE = /^[a-z][a-z0-9-]*[a-z0-9]$|^[a-z]$/;
export const NAME_HINT = 'use lowercase letters, digits and dashes, starting with a letter (e.g. "api", "celery-heavy")';

const size = z.union([z.string(), z.number()]).refine((v) => parseSize(v) !== undefined, {
  message: 'expected a size such as 512MiB, 2GiB or 1.5GB',
});
const duration = z.string().refine((v) => parseDuration(v) !== undefined, { message: 'expected a duration such as 500ms, 5s or 1m30s' });
const cpus = z.number({ invalid_type_error: 'expected a number of CPUs, e.g. 0.5 or 2' }).positive('expected a positive number of CPUs');
const port = z
  .number({ invalid_type_error: 'expected a port number' })
  .int('expected an integer port')
  .min(1, 'expected a port between 1 and 65535')
  .max(65535, 'expected a port between 1 and 65535');
const argvOrString = z.union([z.string().min(1), z.array(z.string()).min(1)], {
  errorMap: () => ({ message: 'expected a command: a string ("gunicorn app.wsgi") or an argv list (["gunicorn", "app.wsgi"])' }),
});

/** A value that may differ per environment: either the value, or a map env → value with `default`. */
export function perEnv<T extends z.ZodTypeAny>(inner: T, what: string) {
  return z.union([inner, z.record(z.string(), inner)], {
    errorMap: (issue, ctx) =>
      issue.code === 'invalid_union'
        ? { message: `expected ${what}, or a map of environment → ${what} (with an optional "default")` }
        : { message: ctx.defaultError },
  });
}

const secretRef = z.object({ secret: z.string().min(1, 'expected a secret name') }).strict();
const envScalar = z.union([z.string(), z.number(), z.boolean()]);
const envValue = z.union([envScalar, secretRef, z.record(z.string(), z.union([envScalar, secretRef, z.null()]))], {
  errorMap: (issue, ctx) =>
    issue.code === 'invalid_union'
      ? { message: 'expected a string, a { secret: NAME } reference, or a map of environment → value' }
      : { message: ctx.defaultError },
});

const health = z.union([
  z.string().startsWith('/', 'expected an HTTP path starting with "/"'),
  z
    .object({
      path: z.string().startsWith('/', 'expected an HTTP path starting with "/"'),
      interval: duration.optional(),
      timeout: duration.optional(),
      retries: z.number().int().positive().optional(),
      start_period: duration.optional(),
    })
    .strict(),
]);

// Container settings (compose-style keys; see ContainerOptions in fleet.ts). Shapes only here:
// normalize-container.ts checks values (namespaced sysctls, capability names, device paths…)
// and reports each bad one with its position.
const stringOrNumber = z.union([z.string(), z.number()]);
const logging = z
  .object({
    driver: z.string().min(1, 'expected a logging driver name such as json-file, local or journald').optional(),
    options: z.record(z.string(), stringOrNumber).optional(),
  })
  .strict();
const pidsLimit = perEnv(z.number().int('expected a whole number').min(-1, 'expected a number of processes, or -1 for unlimited'), 'a pids limit');
const oomScoreAdj = perEnv(
  z.number().int('expected a whole number').min(-1000, 'expected a value between -1000 and 1000').max(1000, 'expected a value between -1000 and 1000'),
  'an OOM score adjustment (-1000..1000)',
);

/** Keys every container-owning section (process, service) accepts. */
export const containerKeys = {
  user: z.union([z.string().min(1), z.number().int().min(0)], { errorMap: () => ({ message: 'expected a user: name, uid or uid:gid' }) }).optional(),
  working_dir: z.string().startsWith('/', 'expected an absolute path').optional(),
  entrypoint: z
    .union([z.string(), z.array(z.string())], {
      errorMap: () => ({ message: "expected an entrypoint: a string, an argv list, or [] to clear the image's" }),
    })
    .optional(),
  tmpfs: z
    .union([z.string(), z.array(z.string()), z.record(z.string(), z.string())], {
      errorMap: () => ({ message: 'expected a tmpfs path, a list of paths ("/run:size=64m"), or a map path → options' }),
    })
    .optional(),
  cap_add: z.array(z.string()).optional(),
  cap_drop: z.array(z.string()).optional(),
  read_only: z.boolean().optional(),
  privileged: z.boolean().optional(),
  init: z.boolean().optional(),
  ulimits: z
    .record(
      z.string(),
      z.union([z.number(), z.object({ soft: z.number(), hard: z.number() }).strict()], {
        errorMap: () => ({ message: 'expected a number, or { soft: N, hard: N }' }),
      }),
    )
    .optional(),
  sysctls: z.record(z.string(), stringOrNumber).optional(),
  shm_size: size.optional(),
  stop_signal: z.string().min(1).optional(),
  stop_grace_period: duration.optional(),
  restart: z
    .union([z.string(), z.literal(false)], { errorMap: () => ({ message: 'expected "no", "always", "unless-stopped", "on-failure" or "on-failure:N"' }) })
    .optional(),
  labels: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  logging: logging.optional(),
  extra_hosts: z
    .union([z.array(z.string()), z.record(z.string(), z.string())], { errorMap: () => ({ message: 'expected a list of "name:ip", or a map name → ip' }) })
    .optional(),
  devices: z.array(z.string()).optional(),
  dns: z.union([z.string(), z.array(z.string())]).optional(),
  pids_limit: pidsLimit.optional(),
  oom_score_adj: oomScoreAdj.optional(),
};

export const processSchema = z
  .object({
    command: argvOrString.optional(),
    port: port.optional(),
    health: health.optional(),
    replicas: perEnv(
      z.number().int('expected a whole number of replicas').min(0).max(MAX_REPLICAS, `at most ${MAX_REPLICAS} replicas per process`),
      'a number of replicas',
    ).optional(),
    memory: perEnv(size, 'a size').optional(),
    cpus: perEnv(cpus, 'a number of CPUs').optional(),
    singleton: z.boolean().optional(),
    stop_timeout: z.number().int().positive().optional(),
    domains: perEnv(z.union([z.string(), z.array(z.string())]), 'a domain or list of domains').optional(),
    web: z.boolean({ invalid_type_error: "expected true (the app's domains route to this process) or false" }).optional(),
    env: z.record(z.string(), envValue).optional(),
    volumes: z.record(z.string(), z.string().startsWith('/', 'expected an absolute mount path')).optional(),
    ...containerKeys,
  })
  .strict();

// `compose:` is a file, a list of files merged in order (like `docker compose -f a -f b`), or a map
// with the files, the env files for ${VAR} interpolation (like --env-file; default: the .env
// beside the first file), the profiles to enable, and per-environment additions to each.
const composeFiles = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
  errorMap: () => ({ message: 'expected a file path or a list of file paths' }),
});
const composeProfiles = z.array(z.string().min(1, 'expected a profile name'), { invalid_type_error: 'expected a list of profile names, e.g. [debug]' });
const composeLayer = z.object({ files: composeFiles.optional(), env_file: composeFiles.optional(), profiles: composeProfiles.optional() }).strict();
const composeSource = z.union(
  [
    z.string().min(1),
    z.array(z.string().min(1)).min(1),
    z
      .object({
        files: composeFiles.optional(), // required: semantic.ts says so with a position
        env_file: composeFiles.optional(),
        profiles: composeProfiles.optional(),
        environments: z.record(z.string(), composeLayer).optional(),
      })
      .strict(),
  ],
  {
    errorMap: (issue, ctx) =>
      issue.code === 'invalid_union'
        ? { message: 'expected a compose file, a list of files merged in order, or { files, env_file, profiles, environments }' }
        : { message: ctx.defaultError },
  },
);

const gitSource = z.union([
  z.string().min(1),
  z.object({ repo: z.string().min(1), dockerfile: z.string().optional(), context: z.string().optional() }).strict(),
]);

/**
 * How an app uses a Redis it shares: its key prefix (its ACL user is limited to `prefix*` keys and
 * channels; `{app}` and `{env}` are filled in) and whether a protected environment may share every
 * key of a server-scoped instance with the other environments.
 */
const appRedis = z
  .object({
    key_prefix: perEnv(z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]), 'a key prefix or list of prefixes').optional(),
    accept_shared_keys: z.boolean({ invalid_type_error: 'expected true or false' }).optional(),
  })
  .strict();

export const appSchema = z
  .object({
    git: gitSource.optional(),
    image: z.string().min(1).optional(),
    compose: composeSource.optional(),
    environments: z.array(z.string()).optional(),
    placement: z.record(z.string(), z.string()).optional(),
    domains: perEnv(z.union([z.string(), z.array(z.string())]), 'a domain or list of domains').optional(),
    uses: z.array(z.string()).optional(),
    depends_on: z.array(z.string()).optional(),
    release: z.array(argvOrString).optional(),
    processes: z.record(z.string(), processSchema).optional(),
    env: z.record(z.string(), envValue).optional(),
    volumes: z.record(z.string(), z.string().startsWith('/', 'expected an absolute mount path')).optional(),
    redis: appRedis.optional(),
  })
  .strict();

export const serviceSchema = z
  .object({
    image: z.string().min(1, 'expected an image reference such as postgres:17'),
    kind: z.enum(['postgres', 'redis', 'generic']).optional(),
    scope: z.enum(['server', 'environment'], { errorMap: () => ({ message: 'expected "server" or "environment"' }) }).optional(),
    memory: size.optional(),
    cpus: cpus.optional(),
    port: port.optional(),
    command: argvOrString.optional(),
    env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    volumes: z.record(z.string(), z.string().startsWith('/', 'expected an absolute mount path')).optional(),
    ...containerKeys,
  })
  .strict();

const deployPolicy = z.union(
  [z.literal('any'), z.object({ branch: z.union([z.string(), z.array(z.string()).min(1)]) }).strict(), z.object({ tags: z.string().min(1) }).strict()],
  { errorMap: () => ({ message: 'expected { branch: NAME }, { tags: "v*" } or "any"' }) },
);

const basicAuth = z.union([z.enum(['basic', 'none']), z.object({ basic: z.object({ users: z.record(z.string(), secretRef) }).strict() }).strict()]);

export const environmentSchema = z
  .object({
    server: z.string({ required_error: 'every environment needs a server' }),
    deploy: deployPolicy.optional(),
    protected: z.boolean().optional(),
    auth: basicAuth.optional(),
    rate_limit: z
      .object({ rps: z.number().positive(), burst: z.number().int().min(0).optional() })
      .strict()
      .optional(),
    domain: z.string().optional(),
    tls: envTlsSchema.optional(),
    limits: z.object({ memory: size.optional(), cpus: cpus.optional() }).strict().optional(),
    // Every container of the environment: log rotation, pids limit, OOM score (processes override).
    logging: logging.optional(),
    pids_limit: z.number().int('expected a whole number').min(-1, 'expected a number of processes, or -1 for unlimited').optional(),
    oom_score_adj: z.number().int().min(-1000, 'expected a value between -1000 and 1000').max(1000, 'expected a value between -1000 and 1000').optional(),
    backup: envBackupSchema.optional(),
    secrets: recipientsSection.optional(),
    move: envMoveSchema.optional(),
  })
  .strict();

export const serverSchema = z
  .object({
    local: z.literal(true).optional(),
    socket: z.string().optional(),
    ssh: z
      .string()
      .regex(/^([^@\s]+@)?[^@\s:]+(:\d+)?$/, 'expected user@host or user@host:port')
      .optional(),
    host_key: z.string().optional(),
    identity: z.string().optional(),
    memory: size.optional(),
    cpus: cpus.optional(),
    disk: size.optional(),
    proxy: z.enum(['caddy', 'nginx']).optional(),
    http_port: port.optional(),
    https_port: port.optional(),
    address: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
        errorMap: () => ({ message: 'expected the public IPv4 or IPv6 address, or a list of both' }),
      })
      .optional(),
    secrets: recipientsSection.optional(),
  })
  .strict();

export const fleetSchema = z
  .object({
    project: z.string({ required_error: 'the fleet needs a project name' }),
    servers: z.record(z.string(), serverSchema, { required_error: 'the fleet needs at least one server' }),
    environments: z.record(z.string(), environmentSchema, { required_error: 'the fleet needs at least one environment' }),
    services: z.record(z.string(), serviceSchema).optional(),
    apps: z.record(z.string(), appSchema).optional(),
    backups: backupsSchema.optional(),
    secrets: secretsSection.optional(),
    tls: fleetTlsSchema.optional(),
    dns: dnsSchema.optional(),
    control_plane: controlPlaneSchema.optional(),
  })
  .strict();

export type RawFleet = z.infer<typeof fleetSchema>;
export type RawApp = z.infer<typeof appSchema>;
export type RawProcess = z.infer<typeof processSchema>;
export type RawEnvValue = z.infer<typeof envValue>;
export type RawService = z.infer<typeof serviceSchema>;
/** The container keys as written (a process's or a service's). */
export type RawContainerKeys = Partial<{ [K in keyof typeof containerKeys]: z.infer<(typeof containerKeys)[K]> }>;
