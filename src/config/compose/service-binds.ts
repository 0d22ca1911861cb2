// A compose service's bind mounts, configs and secrets as a process's `binds` (bind-sources.ts
// says what each bind is): host paths kept, repository files and folders shipped, development
// mounts left out with a warning, a missing data directory turned into a per-environment volume.
// File-based `configs:` and `secrets:` are shipped files too, always read-only; a secret is mode
// 0400 unless its reference says otherwise and its content is never hashed into anything shown.
import { isAbsolute, relative, resolve } from 'node:path';
import type { Diagnostic } from '../../diag/diagnostic.ts';
import type { ProcessBind, RepoContent } from '../fleet.ts';
import { classifyBind, isHostPath, type SourceReader } from './bind-sources.ts';
import type { ComposeFileRef, ComposeProject, ComposeService, ComposeVolumeMount } from './types.ts';

export interface BindContext {
  composeDir: string;
  fleetDir: string;
  read: SourceReader;
}

/**
 * One bind of the service: pushes what is bound onto `binds` and returns undefined, or returns the
 * named volume a missing data directory becomes.
 */
export function bindMount(
  m: ComposeVolumeMount,
  s: ComposeService,
  ctx: BindContext,
  binds: ProcessBind[],
  diagnostics: Diagnostic[],
): ComposeVolumeMount | undefined {
  const say = (severity: Diagnostic['severity'], code: string, message: string, hint: string) =>
    diagnostics.push({ severity, code, path: m.path ?? `services/${s.name}/volumes`, message, hint, pos: m.pos ?? s.pos });
  const what = `bind mount ${m.source} → ${m.target}`;
  const c = classifyBind(
    {
      source: m.source,
      target: m.target,
      composeDir: ctx.composeDir,
      ...(s.build ? { buildContext: resolve(ctx.composeDir, s.build.context) } : {}),
      ...(s.options?.workingDir !== undefined ? { workingDir: s.options.workingDir } : {}),
    },
    ctx.read,
  );
  switch (c.kind) {
    case 'host':
      say(
        'warning',
        'host-bind',
        `${what} is a path of the server itself, bound as it is: it is not shipped, and it does not move with the environment to another server`,
        'keep host paths for host files (the Docker socket, /etc/localtime); write a repository file as a relative path (./file) to have it shipped',
      );
      binds.push({ source: m.source, target: m.target, readOnly: m.readOnly });
      return undefined;
    case 'dev':
      say(
        'warning',
        'dev-mount',
        `${what} mounts source code over the image's code (${c.why}): a development mount, left out; the code comes from the image${s.build ? ', built from the deployed commit' : s.image ? ` (${s.image})` : ''}`,
        'commit and deploy to change the code; to ship a folder of settings, mount it at a path of its own (./config:/app/config)',
      );
      return undefined;
    case 'missing-file':
      say(
        'warning',
        'bind-source-missing',
        `${what}: ${m.source} is not in the repository, so it is left out`,
        `add ${m.source} to the repository and commit it: a deploy ships the files of the deployed commit`,
      );
      return undefined;
    case 'other':
      say('warning', 'bind-source-unsupported', `${what}: ${m.source} is neither a file nor a folder, so it is left out`, 'bind a file or a folder');
      return undefined;
    case 'data':
      say(
        'warning',
        'bind-data-volume',
        `${what}: ${m.source} does not exist, so compose would create it empty: a data directory, which becomes volume "${c.volume}", one per environment`,
        `write it as a named volume (${c.volume}:${m.target}) to say so; commit ${m.source} if it holds files to ship`,
      );
      return { ...m, kind: 'volume', source: c.volume };
    case 'repo': {
      const repo: RepoContent = { type: c.type };
      if (c.digest !== undefined) repo.digest = c.digest;
      binds.push({ source: fleetPath(resolve(ctx.composeDir, m.source), ctx.fleetDir), target: m.target, readOnly: m.readOnly, repo });
      say(
        'info',
        'bind-shipped',
        `${what} is shipped by each deploy from the deployed commit, one copy per environment${m.readOnly ? ', read-only' : ''}`,
        m.readOnly ? '' : 'add :ro if the service only reads it',
      );
      return undefined;
    }
  }
}

/** The service's file-based configs and secrets as shipped, read-only binds. */
export function fileRefBinds(s: ComposeService, compose: ComposeProject, ctx: BindContext, diagnostics: Diagnostic[]): ProcessBind[] {
  const out: ProcessBind[] = [];
  for (const ref of s.fileRefs ?? []) {
    const kind = ref.kind;
    const def = (kind === 'config' ? compose.configs : compose.secrets)?.[ref.source];
    const say = (severity: Diagnostic['severity'], code: string, message: string, hint: string) =>
      diagnostics.push({ severity, code, path: ref.path, message, hint, pos: ref.pos });
    if (!def) {
      say(
        'error',
        `undefined-${kind}`,
        `${kind} "${ref.source}" is not defined under the top-level "${kind}s:"`,
        `add ${kind}s: { ${ref.source}: { file: ./PATH } }`,
      );
      continue;
    }
    if (def.file === undefined) {
      const how = def.external
        ? 'external (a swarm object)'
        : def.environment !== undefined
          ? `from the environment variable ${def.environment}`
          : 'inline content';
      say(
        'warning',
        `${kind}-not-file`,
        `${kind} "${ref.source}" is ${how}: only file-based ${kind}s are imported, so it is left out`,
        kind === 'secret'
          ? `put it in a file (secrets: { ${ref.source}: { file: ./secrets/${ref.source} } }), or store it with "slipway secret set" and pass it as an environment variable`
          : `put it in a file of the repository (configs: { ${ref.source}: { file: ./${ref.source} } })`,
      );
      continue;
    }
    const abs = isHostPath(def.file) ? def.file : resolve(ctx.composeDir, def.file);
    const info = ctx.read(abs);
    const target = refTarget(ref);
    const secret = kind === 'secret';
    if (info.type !== 'file' && info.type !== 'dir') {
      // A secret file is usually not committed: a deploy reads it from the working tree, which then needs it.
      say(
        'warning',
        'bind-source-missing',
        `${kind} "${ref.source}": ${def.file} ${info.type === 'missing' ? 'does not exist' : 'is not a file'}, so it is left out`,
        secret
          ? `create ${def.file} where you deploy from (secrets are read from the working tree, never from git)`
          : `add ${def.file} to the repository and commit it`,
      );
      continue;
    }
    const repo: RepoContent = { type: info.type, mode: ref.mode ?? (secret ? 0o400 : 0o444) };
    if (secret) repo.secret = true;
    else if (info.digest !== undefined) repo.digest = info.digest;
    const owner = ownerOf(ref, s);
    if (owner.uid !== undefined) repo.uid = owner.uid;
    if (owner.gid !== undefined) repo.gid = owner.gid;
    if (secret && owner.uid === undefined && s.options?.user !== undefined && !/^(root|0)(:|$)/.test(s.options.user) && (repo.mode! & 0o004) === 0)
      say(
        'warning',
        'secret-unreadable',
        `secret "${ref.source}" is owned by root with mode ${repo.mode!.toString(8).padStart(4, '0')}, but service "${s.name}" runs as user "${s.options.user}", which cannot read it`,
        'give the reference uid:, gid: and mode: (the long syntax), or run the service as a numeric user (user: "1000")',
      );
    out.push({ source: isHostPath(def.file) ? def.file : fleetPath(abs, ctx.fleetDir), target, readOnly: true, repo });
  }
  return out;
}

/** Where compose mounts a config or secret: `/<name>` or `/run/secrets/<name>`, a relative target under those. */
function refTarget(ref: ComposeFileRef): string {
  const t = ref.target ?? ref.source;
  if (t.startsWith('/')) return t;
  return ref.kind === 'secret' ? `/run/secrets/${t}` : `/${t}`;
}

/** The reference's uid/gid, else the service's numeric `user: "uid[:gid]"`. */
function ownerOf(ref: ComposeFileRef, s: ComposeService): { uid?: number; gid?: number } {
  if (ref.uid !== undefined || ref.gid !== undefined) return { uid: ref.uid ?? 0, gid: ref.gid ?? 0 };
  const m = /^(\d+)(?::(\d+))?$/.exec(s.options?.user ?? '');
  if (!m) return {};
  return { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) };
}

/** A path relative to the fleet file's directory (`./config/routes.json`, `../shared/x`). */
function fleetPath(abs: string, fleetDir: string): string {
  const rel = relative(resolve(fleetDir), abs);
  if (rel === '') return '.';
  if (isAbsolute(rel) || rel.startsWith('..')) return rel;
  return `./${rel}`;
}
