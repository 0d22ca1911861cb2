// `slipway init --from docker-compose.yml`: writes a commented starter slipway.yaml whose one app
// imports the compose file, with one local server and a few environments (default staging, prod),
// suspected secrets turned into `{ secret: NAME }` references, and notes on what needs a human.
// Environment and project names are normalised and checked first; when the compose file or a name
// has an error, `yaml` is empty: the caller writes nothing.
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { type Diagnostic, hasErrors } from '../../diag/diagnostic.ts';
import { nameProblem, normalizeEnvNames } from '../env-names.ts';
import { formatSize } from '../../util/size.ts';
import { composeToProcesses, hasUrlPassword, isSecretKey, processName } from './processes.ts';
import { chooseRoute, hostRule } from './routing.ts';
import { readCompose, type ReadComposeOptions } from './read.ts';
import type { ComposeProject } from './types.ts';

export interface InitFromComposeOptions {
  project?: string;
  /** Environment names as typed (lowercased and checked here), default `[staging, prod]`. */
  envs?: string[];
  /** Directory the fleet file goes to; `composeFile` is resolved against it and written relative to it. Default: the current directory. */
  baseDir?: string;
  /** Compose text, when the caller already has it (tests); otherwise the file is read. */
  text?: string;
  readFile?: ReadComposeOptions['readFile'];
}

const SERVER_MEMORY = 8 * 1024 ** 3;
const NON_PROD_LIMITS = { memory: 512 * 1024 ** 2, cpus: 0.5 };

export function initFromCompose(composeFile: string, opts: InitFromComposeOptions = {}): { yaml: string; diagnostics: Diagnostic[] } {
  const baseDir = resolve(opts.baseDir ?? process.cwd());
  const abs = resolve(baseDir, composeFile);
  const rel = relative(baseDir, abs);
  const composeRef = rel === '' || isAbsolute(rel) ? abs : rel;
  const named = normalizeEnvNames(opts.envs && opts.envs.length > 0 ? opts.envs : ['staging', 'prod']);
  const diagnostics: Diagnostic[] = named.problems.map((p) => ({
    severity: 'error',
    code: 'invalid-name',
    path: 'environments',
    message: p.message,
    hint: p.hint,
  }));
  const projectProblem = opts.project === undefined ? undefined : nameProblem(opts.project, 'project');
  if (projectProblem)
    diagnostics.push({ severity: 'error', code: 'invalid-name', path: 'project', message: projectProblem.message, hint: projectProblem.hint });
  const read = readCompose(abs, opts.text, opts.readFile ? { readFile: opts.readFile } : {});
  diagnostics.push(...read.diagnostics);
  if (!read.compose || hasErrors(diagnostics)) return { yaml: '', diagnostics };
  const compose = read.compose;

  const envs = named.names;
  const app =
    toName(compose.name ?? basename(dirname(abs)))
      .slice(0, 40)
      .replace(/-+$/, '') || 'app';
  const project = opts.project ?? app;
  const converted = composeToProcesses(compose, { project, app, env: envs[0]!, fleetDir: baseDir });
  diagnostics.push(...converted.diagnostics);

  const secrets = secretRefs(compose);
  const budget = memoryPerEnv(compose);
  const needed = budget * envs.length;
  if (needed > SERVER_MEMORY)
    diagnostics.push({
      severity: 'warning',
      code: 'init-memory-budget',
      path: 'servers/local/memory',
      message: `the compose limits add up to ${formatSize(budget)} per environment, ${formatSize(needed)} for ${envs.length} environments, more than the 8GiB written for server "local"`,
      hint: "set the server's real memory, lower the limits, or put environments on different servers",
    });

  const out: string[] = [];
  const w = (line = '') => out.push(line);
  w(`# slipway.yaml: generated from ${composeRef} by \`slipway init\`.`);
  w('# Slipway runs every service of the compose file once per environment, each environment on its');
  w('# own private network. It rewrites hostnames for you (postgres → {app}-{env}-postgres), names');
  w('# volumes and containers per environment, and puts its proxy in front: no ports are published.');
  w('# Review the notes below, then run: slipway validate && slipway plan');
  w(`project: ${q(project)}`);
  w();
  w('servers:');
  w('  # The Docker engine on this machine. A remote one: `ssh: deploy@203.0.113.10`.');
  if (needed > SERVER_MEMORY) {
    w(`  # NOTE: the compose limits need ${formatSize(budget)} per environment (${formatSize(needed)} for all`);
    w('  # of them); set memory to what the server really has, or place environments on other servers.');
  }
  w('  local:');
  w('    local: true');
  w('    memory: 8GiB');
  w('    cpus: 2');
  w();
  w('environments:');
  for (const env of envs) {
    const prod = isProd(env);
    w(`  ${key(env)}:`);
    w('    server: local');
    if (prod) {
      w('    protected: true            # checked for isolation from the other environments');
      w('    deploy: { tags: "v*" }     # only tagged releases');
      w('    rate_limit: { rps: 50, burst: 100 }');
      w('    domain: "{app}.example.com"');
    } else {
      w('    deploy: { branch: main }   # every push to main');
      w(`    auth: basic                # password-protected; the password is the secret basic-auth-${env}`);
      w(`    domain: "{app}-${env}.example.com"`);
      w(`    limits: { memory: ${formatSize(NON_PROD_LIMITS.memory)}, cpus: ${NON_PROD_LIMITS.cpus} }   # default per process without its own limit`);
    }
  }
  w();
  w('# Shared Postgres/Redis that Slipway runs and backs up, one database per environment. This app');
  w('# keeps its own from the compose file; to switch, declare them here and add `uses:` to the app.');
  w('services: {}');
  w();
  w('apps:');
  w(`  ${key(app)}:`);
  w(`    compose: ${q(composeRef)}`);
  for (const line of webNotes(compose)) w(`    # ${line}`);
  if (secrets.size > 0) {
    w('    # Suspected secrets in the compose file are references here: create each secret for every');
    w('    # environment before the first deploy. A URL secret holds the whole URL, with the host');
    w(`    # ${app}-<env>-<service> (e.g. postgres://user:password@${app}-${envs[0]}-postgres:5432/db).`);
    w('    # They sit under processes: because compose values win over the app-wide env:.');
    w('    processes:');
    for (const s of compose.services) {
      const refs = Object.keys(s.environment).filter((k) => secrets.has(`${s.name}\0${k}`));
      if (refs.length === 0) continue;
      w(`      ${key(processName(s.name))}:`);
      w('        env:');
      for (const k of refs) w(`          ${key(k)}: { secret: ${q(secrets.get(`${s.name}\0${k}`)!)} }`);
    }
  }
  return { yaml: hasErrors(diagnostics) ? '' : `${out.join('\n')}\n`, diagnostics };
}

/** `service\0KEY` → secret name. Equal values share one name; names are kebab-case. */
function secretRefs(compose: ComposeProject): Map<string, string> {
  const groups = new Map<string, { keys: { svc: string; key: string }[] }>();
  for (const s of compose.services)
    for (const [k, v] of Object.entries(s.environment)) {
      if (v === '' || /^(\d+(\.\d+)?|true|false)$/i.test(v)) continue;
      if (!isSecretKey(k) && !hasUrlPassword(v)) continue;
      const g = groups.get(v) ?? { keys: [] };
      g.keys.push({ svc: s.name, key: k });
      groups.set(v, g);
    }
  const out = new Map<string, string>();
  const taken = new Set<string>();
  // Bigger groups pick first, so a value used by many services gets the plain name.
  const ordered = [...groups.values()].sort((a, b) => b.keys.length - a.keys.length);
  for (const g of ordered) {
    const counts = new Map<string, number>();
    for (const { key: k } of g.keys) counts.set(k, (counts.get(k) ?? 0) + 1);
    const best = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].length - b[0].length || (a[0] < b[0] ? -1 : 1))[0]![0];
    let name = kebab(best);
    if (taken.has(name)) name = `${processName(g.keys[0]!.svc)}-${name}`;
    for (let i = 2; taken.has(name); i++) name = `${kebab(best)}-${i}`;
    taken.add(name);
    for (const { svc, key: k } of g.keys) out.set(`${svc}\0${k}`, name);
  }
  return out;
}

/** Sum of memory limits × replicas over the services that declare one. */
function memoryPerEnv(compose: ComposeProject): number {
  return compose.services.reduce((sum, s) => sum + (s.memory ?? 0) * (s.replicas ?? 1), 0);
}

/** Comment lines saying which process the environment's domain routes to, why, and how to change it. */
function webNotes(compose: ComposeProject): string[] {
  const choice = chooseRoute(compose.services);
  const lines: string[] = [];
  if (choice.web) {
    const c = choice.web;
    lines.push(`Routing: the environment's domain goes to process ${processName(c.service)} (port ${c.port}): ${choice.reason} (${c.why}).`);
  } else lines.push(`Routing: no process gets the environment's domain: ${choice.reason}.`);
  if (choice.skipped.length > 0) lines.push(`Never routed: ${choice.skipped.map((x) => `${processName(x.service)} (${x.why})`).join(', ')}.`);
  for (const o of choice.others) {
    const n = processName(o.service);
    const host = hostRule(compose.services.find((s) => s.name === o.service)?.labels ?? {});
    const [first, ...rest] = host?.split('.') ?? [];
    const domains = host
      ? `{ prod: "${host}", default: "${first}-{env}.${rest.join('.')}" }`
      : `{ prod: "${n}.{app}.example.com", default: "${n}-{env}.{app}.example.com" }`;
    lines.push(`${n} also looks public (${o.why}); to give it its own domain:`);
    lines.push(`  processes: { ${n}: { domains: ${domains} } }`);
  }
  lines.push('To route the domain elsewhere: processes: { NAME: { web: true } } here, or x-slipway: { web: true } on the compose service.');
  lines.push('Other processes are reachable inside the environment by their compose name and alias {app}-{env}-{process}.');
  return lines;
}

function isProd(env: string): boolean {
  return env === 'prod' || env === 'production';
}

function toName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '');
}

function kebab(key: string): string {
  return key
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** A YAML scalar: bare when safe, otherwise double-quoted. */
function q(s: string): string {
  if (/^[A-Za-z_/.][A-Za-z0-9_./-]*$/.test(s) && !/^(true|false|yes|no|on|off|null|~)$/i.test(s)) return s;
  return JSON.stringify(s);
}

function key(s: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(s) ? s : JSON.stringify(s);
}
