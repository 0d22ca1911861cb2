// Reads a docker-compose file into a ComposeProject, keeping source positions so every problem
// is a Diagnostic with file:line:col, a key path (`services/api/healthcheck/interval`) and a hint.
// Unsupported keys are warnings, never failures: a team's existing compose file should import.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Diagnostic, Severity, SourcePos } from '../../diag/diagnostic.ts';
import { parseSize } from '../../util/size.ts';
import { parseEnvFile } from './env-file.ts';
import { interpolate } from './interpolate.ts';
import { parseDuration } from '../../util/duration.ts';
import { splitShellWords } from '../../util/shell-words.ts';
import type { ComposeHealth, ComposePort, ComposeProject, ComposeService, ComposeVolumeMount } from './types.ts';

export type { ComposeHealth, ComposePort, ComposeProject, ComposeService, ComposeVolumeMount } from './types.ts';

export interface ReadComposeOptions {
  /** Interpolation variables. Slipway never reads the shell environment for these. */
  vars?: Record<string, string>;
  /** Reads env_file files; defaults to the file system. Returns undefined when missing. */
  readFile?: (path: string) => string | undefined;
}

const IGNORED_KEYS = new Set(['restart']);
const UNSET_HINT = "give it a default (${VAR:-value}) or set it in the app's env: in slipway.yaml ({ secret: NAME } for secrets)";

type Entry = { key: string; keyNode: Node | null; value: Node | null };

export function readCompose(file: string, text?: string, opts: ReadComposeOptions = {}): { compose?: ComposeProject; diagnostics: Diagnostic[] } {
  const read = opts.readFile ?? defaultReadFile;
  const diagnostics: Diagnostic[] = [];
  let source = text;
  if (source === undefined) {
    source = read(file);
    if (source === undefined) {
      diagnostics.push({
        severity: 'error',
        code: 'compose-not-found',
        path: '',
        message: `cannot read compose file ${file}`,
        hint: 'check the path given in "compose:"',
        pos: { file, line: 1, col: 1 },
      });
      return { diagnostics };
    }
  }
  const r = new Reader(file, source, opts.vars ?? {}, read, diagnostics);
  const compose = r.project();
  return { compose: diagnostics.some((d) => d.severity === 'error') ? undefined : compose, diagnostics };
}

function defaultReadFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

class Reader {
  readonly #lines = new LineCounter();
  readonly #doc: Document.Parsed;
  /** `service/dependency` → where the dependency is named, for unknown-dependency errors. */
  readonly #depPos = new Map<string, SourcePos>();

  constructor(
    readonly file: string,
    readonly text: string,
    readonly vars: Record<string, string>,
    readonly read: (path: string) => string | undefined,
    readonly diags: Diagnostic[],
  ) {
    this.#doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true });
  }

  project(): ComposeProject | undefined {
    const doc = this.#doc;
    if (doc.errors.length > 0) {
      const lines = new Set<number>();
      for (const e of doc.errors) {
        const pos = this.posAt(e.pos[0]);
        if (lines.has(pos.line)) continue; // follow-on errors of the same broken line
        lines.add(pos.line);
        const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        this.add(
          'error',
          e.code === 'DUPLICATE_KEY' ? 'duplicate-key' : 'yaml-syntax',
          '',
          message,
          e.code === 'DUPLICATE_KEY' ? 'each key may appear once in a map' : 'check indentation and quoting around this position',
          pos,
        );
      }
      return undefined;
    }
    const root = this.deref(doc.contents as Node | null);
    if (!isMap(root)) {
      this.add(
        'error',
        'bad-type',
        '',
        `expected a compose file (a map with "services:"), got ${describe(root)}`,
        'a compose file starts with "services:"',
        this.pos(root),
      );
      return undefined;
    }
    const project: ComposeProject = { file: this.file, services: [], volumes: [], networks: [] };
    let servicesNode: Node | null = null;
    let servicesEntries: Entry[] = [];
    const declaredVolumes = new Set<string>();
    const declaredNetworks = new Set<string>();
    for (const e of this.entries(root, '')) {
      switch (e.key) {
        case 'version':
          break; // obsolete in the compose spec, harmless
        case 'name': {
          const n = this.str(e.value, 'name');
          if (n !== undefined) project.name = n;
          break;
        }
        case 'services':
          servicesNode = e.value;
          if (isMap(this.deref(e.value))) servicesEntries = this.entries(this.deref(e.value), 'services');
          else this.badType(e.value, 'services', 'a map of service name → service');
          break;
        case 'volumes':
          for (const v of this.namedMap(e.value, 'volumes')) declaredVolumes.add(v);
          break;
        case 'networks':
          for (const n of this.namedMap(e.value, 'networks')) declaredNetworks.add(n);
          break;
        default:
          if (e.key.startsWith('x-')) break;
          this.unsupported(e, e.key, `top-level "${e.key}" is not imported`);
      }
    }
    if (!servicesNode || servicesEntries.length === 0) {
      if (!servicesNode || isMap(this.deref(servicesNode)))
        this.add(
          'error',
          'no-services',
          'services',
          'the compose file defines no services',
          'add at least one service under "services:"',
          this.pos(servicesNode ?? root),
        );
      return undefined;
    }
    project.volumes = [...declaredVolumes];
    project.networks = [...declaredNetworks];
    for (const e of servicesEntries) {
      const svc = this.service(e);
      if (svc) project.services.push(svc);
    }
    this.crossCheck(project, declaredVolumes, declaredNetworks);
    return project;
  }

  // ---- services -------------------------------------------------------------------------

  service(e: Entry): ComposeService | undefined {
    const name = e.key;
    const base = `services/${name}`;
    const node = this.deref(e.value);
    const pos = this.pos(e.keyNode ?? e.value);
    if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/.test(name)) {
      this.add('error', 'bad-name', base, `"${name}" is not a valid compose service name`, 'use letters, digits, ".", "_" and "-"', pos);
      return undefined;
    }
    if (!isMap(node)) {
      this.badType(e.value, base, 'a map of service settings');
      return undefined;
    }
    const svc: ComposeService = {
      name,
      environment: {},
      ports: [],
      expose: [],
      volumes: [],
      networks: [],
      hostAliases: [],
      dependsOn: [],
      labels: {},
      pos,
      envPos: {},
    };
    let envFiles: Entry | undefined;
    let environment: Entry | undefined;
    let limits: { memory?: number; cpus?: number } = {};
    let memLimit: number | undefined;
    let cpus: number | undefined;
    for (const f of this.entries(node, base)) {
      const path = `${base}/${f.key}`;
      switch (f.key) {
        case 'image':
          svc.image = this.str(f.value, path);
          break;
        case 'build':
          svc.build = this.build(f.value, path);
          break;
        case 'command':
          svc.command = this.argv(f.value, path);
          break;
        case 'entrypoint':
          svc.entrypoint = this.argv(f.value, path);
          break;
        case 'environment':
          environment = f;
          break;
        case 'env_file':
          envFiles = f;
          break;
        case 'ports':
          svc.ports = this.ports(f.value, path);
          break;
        case 'expose':
          svc.expose = this.expose(f.value, path);
          break;
        case 'volumes':
          svc.volumes = this.volumes(f.value, path);
          break;
        case 'networks':
          this.serviceNetworks(f.value, path, svc);
          break;
        case 'depends_on':
          svc.dependsOn = this.dependsOn(f.value, path, name);
          break;
        case 'healthcheck': {
          const h = this.health(f.value, path);
          if (h) svc.health = h;
          break;
        }
        case 'deploy': {
          const d = this.deploy(f.value, path);
          limits = d.limits;
          if (d.replicas !== undefined) svc.replicas = d.replicas;
          break;
        }
        case 'mem_limit':
          memLimit = this.size(f.value, path);
          break;
        case 'cpus':
          cpus = this.cpus(f.value, path);
          break;
        case 'labels':
          svc.labels = this.stringMap(f.value, path, 'labels');
          break;
        case 'container_name': {
          const cn = this.str(f.value, path);
          if (cn !== undefined) {
            svc.hostAliases.push(cn);
            this.add(
              'info',
              'container-name-ignored',
              path,
              `container_name "${cn}" is ignored: Slipway names containers per environment and release`,
              `other services that use "${cn}" as a hostname are pointed at this service's per-environment alias`,
              this.pos(f.value),
            );
          }
          break;
        }
        case 'stop_grace_period': {
          const ms = this.duration(f.value, path);
          if (ms !== undefined) svc.stopGracePeriodMs = ms;
          break;
        }
        default:
          if (IGNORED_KEYS.has(f.key) || f.key.startsWith('x-')) break;
          this.unsupported(f, path, `"${f.key}" is not imported by Slipway`);
      }
    }
    // env_file first, then environment overrides it (compose precedence).
    if (envFiles) this.envFiles(envFiles.value, `${base}/env_file`, svc);
    if (environment) this.environment(environment.value, `${base}/environment`, svc);
    const memory = limits.memory ?? memLimit;
    if (memory !== undefined) svc.memory = memory;
    const c = limits.cpus ?? cpus;
    if (c !== undefined) svc.cpus = c;
    const first = svc.ports[0]?.container ?? svc.expose[0];
    if (first !== undefined) svc.port = first;
    if (svc.image === undefined && svc.build === undefined)
      this.add('error', 'missing-image', base, `service "${name}" has neither "image" nor "build"`, 'add "image: NAME:TAG" or "build: ./dir"', pos);
    return svc;
  }

  build(n: Node | null, path: string): ComposeService['build'] {
    const node = this.deref(n);
    if (isScalar(node)) {
      const ctx = this.str(node, path);
      return ctx === undefined ? undefined : { context: ctx, dockerfile: 'Dockerfile' };
    }
    if (!isMap(node)) {
      this.badType(n, path, 'a build context path, or { context, dockerfile }');
      return undefined;
    }
    let context = '.';
    let dockerfile = 'Dockerfile';
    for (const e of this.entries(node, path)) {
      if (e.key === 'context') context = this.str(e.value, `${path}/context`) ?? context;
      else if (e.key === 'dockerfile') dockerfile = this.str(e.value, `${path}/dockerfile`) ?? dockerfile;
      else this.unsupported(e, `${path}/${e.key}`, `build "${e.key}" is not imported (Slipway builds context + Dockerfile)`);
    }
    return { context, dockerfile };
  }

  argv(n: Node | null, path: string): string[] | undefined {
    const node = this.deref(n);
    if (node === null || (isScalar(node) && node.value === null)) return undefined;
    if (isScalar(node)) {
      const s = this.str(node, path);
      if (s === undefined) return undefined;
      try {
        return splitShellWords(s);
      } catch (err) {
        this.add('error', 'bad-command', path, (err as Error).message, 'close the quote, or write the command as a list ["prog", "arg"]', this.pos(node));
        return undefined;
      }
    }
    if (isSeq(node)) return this.strList(node, path);
    this.badType(n, path, 'a command string or a list of arguments');
    return undefined;
  }

  environment(n: Node | null, path: string, svc: ComposeService): void {
    const node = this.deref(n);
    if (node === null || (isScalar(node) && node.value === null)) return;
    if (isMap(node)) {
      for (const e of this.entries(node, path)) {
        const v = this.deref(e.value);
        if (v === null || (isScalar(v) && v.value === null)) {
          this.fromShell(e.key, `${path}/${e.key}`, this.pos(e.keyNode ?? e.value));
          continue;
        }
        const s = this.str(v, `${path}/${e.key}`);
        if (s === undefined) continue;
        svc.environment[e.key] = s;
        svc.envPos[e.key] = this.pos(v);
      }
      return;
    }
    if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const s = this.str(item as Node, `${path}/${i}`);
        if (s === undefined) return;
        const eq = s.indexOf('=');
        if (eq < 0) {
          this.fromShell(s, `${path}/${i}`, this.pos(item as Node));
          return;
        }
        const key = s.slice(0, eq);
        svc.environment[key] = s.slice(eq + 1);
        svc.envPos[key] = this.pos(item as Node);
      });
      return;
    }
    this.badType(n, path, 'a map KEY: value or a list of "KEY=value"');
  }

  fromShell(key: string, path: string, pos: SourcePos): void {
    this.add(
      'warning',
      'env-from-shell',
      path,
      `${key} has no value; compose would copy it from the shell, Slipway reads no shell environment`,
      `set it in the app's env: in slipway.yaml (use { secret: ${key} } if it is sensitive)`,
      pos,
    );
  }

  envFiles(n: Node | null, path: string, svc: ComposeService): void {
    const node = this.deref(n);
    const items: { node: Node; path: string }[] = [];
    if (isScalar(node)) items.push({ node, path });
    else if (isSeq(node)) node.items.forEach((it, i) => items.push({ node: it as Node, path: `${path}/${i}` }));
    else {
      this.badType(n, path, 'a file path or a list of paths');
      return;
    }
    for (const it of items) {
      const d = this.deref(it.node);
      let rel: string | undefined;
      let required = true;
      if (isMap(d)) {
        for (const e of this.entries(d, it.path)) {
          if (e.key === 'path') rel = this.str(e.value, `${it.path}/path`);
          else if (e.key === 'required') required = this.bool(e.value, `${it.path}/required`) ?? true;
          else this.unsupported(e, `${it.path}/${e.key}`, `env_file "${e.key}" is not supported`);
        }
      } else rel = this.str(d, it.path);
      if (rel === undefined) continue;
      const full = resolve(dirname(this.file), rel);
      const text = this.read(full);
      if (text === undefined) {
        if (required)
          this.add(
            'error',
            'env-file-not-found',
            it.path,
            `env_file ${rel} not found (looked for ${full})`,
            'create it next to the compose file, or mark it { path: ..., required: false }',
            this.pos(d),
          );
        continue;
      }
      const parsed = parseEnvFile(text);
      for (const p of parsed.problems)
        this.add('warning', 'env-file-line', it.path, p.message, 'use KEY=VALUE lines; # starts a comment', { file: full, line: p.line, col: p.col });
      for (const entry of parsed.entries) {
        const epos = { file: full, line: entry.line, col: 1 };
        let value = entry.value;
        if (entry.interpolate) {
          const r = interpolate(value, this.vars);
          value = r.value;
          for (const u of r.unresolved) this.add('warning', 'unset-variable', it.path, `${u.message}; "${entry.key}" keeps it as written`, UNSET_HINT, epos);
        }
        svc.environment[entry.key] = value;
        svc.envPos[entry.key] = epos;
      }
    }
  }

  ports(n: Node | null, path: string): ComposePort[] {
    const node = this.deref(n);
    if (!isSeq(node)) {
      this.badType(n, path, 'a list of ports ("8080:3000")');
      return [];
    }
    const out: ComposePort[] = [];
    node.items.forEach((item, i) => {
      const p = `${path}/${i}`;
      const d = this.deref(item as Node);
      let port: ComposePort | undefined;
      if (isMap(d)) {
        let target: number | undefined;
        let published: string | undefined;
        let hostIp: string | undefined;
        let protocol: 'tcp' | 'udp' = 'tcp';
        for (const e of this.entries(d, p)) {
          if (e.key === 'target') target = this.portNumber(e.value, `${p}/target`);
          else if (e.key === 'published') published = this.str(e.value, `${p}/published`);
          else if (e.key === 'host_ip') hostIp = this.str(e.value, `${p}/host_ip`);
          else if (e.key === 'protocol') protocol = this.str(e.value, `${p}/protocol`) === 'udp' ? 'udp' : 'tcp';
          else if (e.key !== 'mode' && e.key !== 'name' && e.key !== 'app_protocol') this.unsupported(e, `${p}/${e.key}`, `port "${e.key}" is not supported`);
        }
        if (target === undefined) {
          this.add('error', 'bad-port', p, 'a long-syntax port needs "target"', 'add target: CONTAINER_PORT', this.pos(d));
          return;
        }
        port = { container: target, protocol, ...(published !== undefined ? { published: hostIp ? `${hostIp}:${published}` : published } : {}) };
      } else {
        const s = this.str(d, p);
        if (s === undefined) return;
        port = parseShortPort(s);
        if (!port) {
          this.add(
            'error',
            'bad-port',
            p,
            `"${s}" is not a port mapping`,
            'write "CONTAINER", "HOST:CONTAINER" or "IP:HOST:CONTAINER", e.g. "8080:3000"',
            this.pos(d),
          );
          return;
        }
      }
      out.push(port);
      if (port.published !== undefined)
        this.add(
          'info',
          'port-not-published',
          p,
          `port ${port.published}:${port.container} is not published on the server; Slipway's proxy routes to container port ${port.container} instead`,
          'reach it through the proxy, or with "slipway exec"/a tunnel for non-HTTP ports',
          this.pos(d),
        );
    });
    return out;
  }

  expose(n: Node | null, path: string): number[] {
    const node = this.deref(n);
    if (!isSeq(node)) {
      this.badType(n, path, 'a list of container ports');
      return [];
    }
    const out: number[] = [];
    node.items.forEach((item, i) => {
      const s = this.str(item as Node, `${path}/${i}`);
      if (s === undefined) return;
      const m = /^(\d+)(?:-\d+)?(?:\/(tcp|udp))?$/.exec(s.trim());
      const n = m ? Number(m[1]) : NaN;
      if (!m || n < 1 || n > 65535)
        this.add('error', 'bad-port', `${path}/${i}`, `"${s}" is not a port`, 'write a container port such as 3000', this.pos(item as Node));
      else out.push(n);
    });
    return out;
  }

  volumes(n: Node | null, path: string): ComposeVolumeMount[] {
    const node = this.deref(n);
    if (!isSeq(node)) {
      this.badType(n, path, 'a list of mounts ("data:/var/lib/data")');
      return [];
    }
    const out: ComposeVolumeMount[] = [];
    node.items.forEach((item, i) => {
      const p = `${path}/${i}`;
      const d = this.deref(item as Node);
      let m: ComposeVolumeMount | undefined;
      if (isMap(d)) {
        let type = 'volume';
        let src: string | undefined;
        let target: string | undefined;
        let ro = false;
        for (const e of this.entries(d, p)) {
          if (e.key === 'type') type = this.str(e.value, `${p}/type`) ?? type;
          else if (e.key === 'source') src = this.str(e.value, `${p}/source`);
          else if (e.key === 'target') target = this.str(e.value, `${p}/target`);
          else if (e.key === 'read_only') ro = this.bool(e.value, `${p}/read_only`) ?? false;
          else if (e.key !== 'volume' && e.key !== 'bind' && e.key !== 'consistency') this.unsupported(e, `${p}/${e.key}`, `mount "${e.key}" is not supported`);
        }
        if (type !== 'volume' && type !== 'bind') {
          this.add(
            'warning',
            'unsupported-compose-key',
            `${p}/type`,
            `mount type "${type}" is not imported`,
            'use a named volume or a bind mount',
            this.pos(d),
          );
          return;
        }
        if (target === undefined) {
          this.add('error', 'bad-volume', p, 'a long-syntax mount needs "target"', 'add target: /path/in/container', this.pos(d));
          return;
        }
        if (src === undefined) {
          this.anonymous(target, p, d);
          return;
        }
        m = { source: src, target, readOnly: ro, kind: type === 'bind' || isPathLike(src) ? 'bind' : 'volume' };
      } else {
        const s = this.str(d, p);
        if (s === undefined) return;
        const parts = s.split(':');
        if (parts.length === 1) {
          this.anonymous(s, p, d);
          return;
        }
        if (parts.length > 3 || !parts[0] || !parts[1]) {
          this.add('error', 'bad-volume', p, `"${s}" is not a mount`, 'write "NAME:/path[:ro]" or "./dir:/path[:ro]"', this.pos(d));
          return;
        }
        const modes = (parts[2] ?? '').split(',');
        m = { source: parts[0], target: parts[1], readOnly: modes.includes('ro'), kind: isPathLike(parts[0]) ? 'bind' : 'volume' };
      }
      if (!m.target.startsWith('/')) {
        this.add('error', 'bad-volume', p, `mount target "${m.target}" is not an absolute path`, 'the container path must start with "/"', this.pos(d));
        return;
      }
      if (m.kind === 'bind')
        this.add(
          'warning',
          'bind-mount',
          p,
          `bind mount ${m.source} → ${m.target} reads a directory of the server it runs on; it does not travel when the environment moves to another server`,
          'prefer a named volume, or bake the files into the image',
          this.pos(d),
        );
      out.push(m);
    });
    return out;
  }

  anonymous(target: string, path: string, node: Node | null): void {
    this.add(
      'warning',
      'anonymous-volume',
      path,
      `anonymous volume ${target} is not kept across releases and is not imported`,
      `name it ("${target.split('/').filter(Boolean).pop() ?? 'data'}:${target}") to keep its data`,
      this.pos(node),
    );
  }

  serviceNetworks(n: Node | null, path: string, svc: ComposeService): void {
    const node = this.deref(n);
    if (isSeq(node)) {
      svc.networks = this.strList(node, path);
      return;
    }
    if (!isMap(node)) {
      this.badType(n, path, 'a list of network names, or a map of network → settings');
      return;
    }
    for (const e of this.entries(node, path)) {
      svc.networks.push(e.key);
      const v = this.deref(e.value);
      if (!isMap(v)) continue;
      for (const s of this.entries(v, `${path}/${e.key}`)) {
        if (s.key === 'aliases') svc.hostAliases.push(...this.strList(this.deref(s.value), `${path}/${e.key}/aliases`));
      }
    }
  }

  dependsOn(n: Node | null, path: string, svc: string): string[] {
    const node = this.deref(n);
    if (isSeq(node)) {
      const out = this.strList(node, path);
      node.items.forEach((it, i) => out[i] !== undefined && this.#depPos.set(`${svc}/${out[i]}`, this.pos(it as Node)));
      return out;
    }
    if (!isMap(node)) {
      this.badType(n, path, 'a list of service names, or a map of service → { condition }');
      return [];
    }
    const out: string[] = [];
    for (const e of this.entries(node, path)) {
      out.push(e.key);
      this.#depPos.set(`${svc}/${e.key}`, this.pos(e.keyNode));
      const v = this.deref(e.value);
      if (!isMap(v)) continue;
      for (const s of this.entries(v, `${path}/${e.key}`)) {
        if (s.key !== 'condition') continue;
        const cond = this.str(s.value, `${path}/${e.key}/condition`);
        if (cond === 'service_completed_successfully')
          this.add(
            'info',
            'depends-on-completed',
            `${path}/${e.key}/condition`,
            `"${e.key}" is a one-shot task here; Slipway runs processes continuously and waits for them to be started/healthy`,
            "move one-shot tasks (migrations) to the app's release: commands",
            this.pos(s.value),
          );
      }
    }
    return out;
  }

  health(n: Node | null, path: string): ComposeHealth | undefined {
    const node = this.deref(n);
    if (!isMap(node)) {
      this.badType(n, path, 'a map with test, interval, timeout, retries, start_period');
      return undefined;
    }
    const h: ComposeHealth = { test: [] };
    let disabled = false;
    for (const e of this.entries(node, path)) {
      const p = `${path}/${e.key}`;
      switch (e.key) {
        case 'test': {
          const v = this.deref(e.value);
          if (isScalar(v)) {
            const s = this.str(v, p);
            if (s !== undefined) h.test = ['CMD-SHELL', s];
          } else if (isSeq(v)) h.test = this.strList(v, p);
          else this.badType(e.value, p, 'a command string or ["CMD", ...] / ["CMD-SHELL", "..."]');
          break;
        }
        case 'interval':
        case 'timeout':
        case 'start_period': {
          const ms = this.duration(e.value, p);
          if (ms === undefined) break;
          if (e.key === 'interval') h.intervalMs = ms;
          else if (e.key === 'timeout') h.timeoutMs = ms;
          else h.startPeriodMs = ms;
          break;
        }
        case 'retries': {
          const r = this.int(e.value, p, 0);
          if (r !== undefined) h.retries = r;
          break;
        }
        case 'disable':
          disabled = this.bool(e.value, p) ?? false;
          break;
        default:
          this.unsupported(e, p, `healthcheck "${e.key}" is not imported`);
      }
    }
    if (disabled || h.test[0] === 'NONE') return undefined;
    return h;
  }

  deploy(n: Node | null, path: string): { replicas?: number; limits: { memory?: number; cpus?: number } } {
    const node = this.deref(n);
    const out: { replicas?: number; limits: { memory?: number; cpus?: number } } = { limits: {} };
    if (!isMap(node)) {
      this.badType(n, path, 'a map (replicas, resources.limits)');
      return out;
    }
    for (const e of this.entries(node, path)) {
      const p = `${path}/${e.key}`;
      if (e.key === 'replicas') {
        const r = this.int(e.value, p, 0);
        if (r !== undefined) out.replicas = r;
      } else if (e.key === 'resources') {
        const res = this.deref(e.value);
        if (!isMap(res)) {
          this.badType(e.value, p, 'a map with limits');
          continue;
        }
        for (const r of this.entries(res, p)) {
          const rp = `${p}/${r.key}`;
          if (r.key !== 'limits') {
            this.unsupported(r, rp, `resources "${r.key}" is not imported; Slipway applies limits only`);
            continue;
          }
          const lim = this.deref(r.value);
          if (!isMap(lim)) {
            this.badType(r.value, rp, 'a map with memory and cpus');
            continue;
          }
          for (const l of this.entries(lim, rp)) {
            if (l.key === 'memory') {
              const m = this.size(l.value, `${rp}/memory`);
              if (m !== undefined) out.limits.memory = m;
            } else if (l.key === 'cpus') {
              const c = this.cpus(l.value, `${rp}/cpus`);
              if (c !== undefined) out.limits.cpus = c;
            } else this.unsupported(l, `${rp}/${l.key}`, `limit "${l.key}" is not imported`);
          }
        }
      } else this.unsupported(e, p, `deploy "${e.key}" is not imported (Slipway handles restarts and rolling updates itself)`);
    }
    return out;
  }

  // ---- cross checks ---------------------------------------------------------------------

  crossCheck(project: ComposeProject, volumes: Set<string>, networks: Set<string>): void {
    const names = new Set(project.services.map((s) => s.name));
    for (const s of project.services) {
      for (const d of s.dependsOn)
        if (!names.has(d))
          this.add(
            'error',
            'unknown-dependency',
            `services/${s.name}/depends_on/${d}`,
            `service "${s.name}" depends on "${d}", which is not defined`,
            `define a service "${d}" or remove it from depends_on`,
            this.#depPos.get(`${s.name}/${d}`) ?? s.pos,
          );
      for (const v of s.volumes)
        if (v.kind === 'volume' && !volumes.has(v.source))
          this.add(
            'warning',
            'undefined-volume',
            `services/${s.name}/volumes`,
            `volume "${v.source}" is not declared under the top-level "volumes:"`,
            `add "volumes: { ${v.source}: {} }" at the top level`,
            s.pos,
          );
      for (const n of s.networks)
        if (!networks.has(n) && n !== 'default')
          this.add(
            'warning',
            'undefined-network',
            `services/${s.name}/networks`,
            `network "${n}" is not declared under the top-level "networks:"`,
            'networks are dropped on import anyway: Slipway gives each environment its own private network',
            s.pos,
          );
    }
  }

  // ---- scalars ----------------------------------------------------------------------------

  /** A string scalar (numbers and booleans are stringified), interpolated. */
  str(n: Node | null, path: string): string | undefined {
    const node = this.deref(n);
    if (!isScalar(node) || node.value === null || typeof node.value === 'object') {
      this.badType(n, path, 'a string');
      return undefined;
    }
    const raw = String(node.value);
    if (typeof node.value !== 'string') return raw;
    const r = interpolate(raw, this.vars);
    for (const u of r.unresolved) this.add('warning', 'unset-variable', path, `${u.message}; the value keeps it as written`, UNSET_HINT, this.pos(node));
    return r.value;
  }

  strList(node: Node | null, path: string): string[] {
    if (!isSeq(node)) {
      this.badType(node, path, 'a list of strings');
      return [];
    }
    const out: string[] = [];
    node.items.forEach((it, i) => {
      const s = this.str(it as Node, `${path}/${i}`);
      if (s !== undefined) out.push(s);
    });
    return out;
  }

  stringMap(n: Node | null, path: string, what: string): Record<string, string> {
    const node = this.deref(n);
    const out: Record<string, string> = {};
    if (isMap(node)) {
      for (const e of this.entries(node, path)) {
        const v = this.deref(e.value);
        out[e.key] = v === null || (isScalar(v) && v.value === null) ? '' : (this.str(v, `${path}/${e.key}`) ?? '');
      }
    } else if (isSeq(node)) {
      for (const s of this.strList(node, path)) {
        const eq = s.indexOf('=');
        out[eq < 0 ? s : s.slice(0, eq)] = eq < 0 ? '' : s.slice(eq + 1);
      }
    } else this.badType(n, path, `a map or a list of "key=value" ${what}`);
    return out;
  }

  int(n: Node | null, path: string, min: number): number | undefined {
    const node = this.deref(n);
    const v = isScalar(node) ? (typeof node.value === 'string' ? Number(this.str(node, path)) : node.value) : undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      this.badType(n, path, `a whole number${min === 0 ? ' (0 or more)' : ''}`);
      return undefined;
    }
    return v;
  }

  bool(n: Node | null, path: string): boolean | undefined {
    const node = this.deref(n);
    if (isScalar(node) && typeof node.value === 'boolean') return node.value;
    if (isScalar(node) && (node.value === 'true' || node.value === 'false')) return node.value === 'true';
    this.badType(n, path, 'true or false');
    return undefined;
  }

  portNumber(n: Node | null, path: string): number | undefined {
    const v = this.int(n, path, 1);
    if (v !== undefined && v > 65535) {
      this.add('error', 'bad-port', path, `${v} is not a port`, 'use a port between 1 and 65535', this.pos(n));
      return undefined;
    }
    return v;
  }

  duration(n: Node | null, path: string): number | undefined {
    const node = this.deref(n);
    if (isScalar(node) && typeof node.value === 'string') {
      const s = this.str(node, path);
      const ms = s === undefined || /^\s*\d+(\.\d+)?\s*$/.test(s) ? undefined : parseDuration(s);
      if (ms !== undefined) return ms;
    }
    this.add(
      'error',
      'bad-duration',
      path,
      `expected a duration such as 10s or 1m30s, got ${describe(node)}`,
      'write a number with a unit: ms, s, m or h (e.g. "30s")',
      this.pos(node),
    );
    return undefined;
  }

  size(n: Node | null, path: string): number | undefined {
    const node = this.deref(n);
    const raw = isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number') ? node.value : undefined;
    const bytes = raw === undefined ? undefined : parseSize(typeof raw === 'string' ? (this.str(node, path) ?? '') : raw);
    if (bytes === undefined)
      this.add(
        'error',
        'bad-size',
        path,
        `expected a size such as 512M or 2g, got ${describe(node)}`,
        'write a number with a unit: 512M, 1.5G, 2GiB',
        this.pos(node),
      );
    return bytes;
  }

  cpus(n: Node | null, path: string): number | undefined {
    const node = this.deref(n);
    const v = isScalar(node) ? Number(typeof node.value === 'string' ? this.str(node, path) : node.value) : NaN;
    if (!Number.isFinite(v) || v <= 0 || (isScalar(node) && (typeof node.value === 'boolean' || node.value === null))) {
      this.add(
        'error',
        'bad-cpus',
        path,
        `expected a number of CPUs such as 0.5 or 2, got ${describe(node)}`,
        'write a positive number, e.g. cpus: "0.5"',
        this.pos(node),
      );
      return undefined;
    }
    return v;
  }

  // ---- structure helpers ------------------------------------------------------------------

  /** Names of a top-level `volumes:`/`networks:` map (values are settings we do not need). */
  namedMap(n: Node | null, path: string): string[] {
    const node = this.deref(n);
    if (node === null || (isScalar(node) && node.value === null)) return [];
    if (!isMap(node)) {
      this.badType(n, path, 'a map of name → settings');
      return [];
    }
    const out: string[] = [];
    for (const e of this.entries(node, path)) {
      out.push(e.key);
      const v = this.deref(e.value);
      if (path === 'networks' && isMap(v) && v.get('external'))
        this.add(
          'info',
          'external-network',
          `${path}/${e.key}`,
          `external network "${e.key}" is not joined: Slipway's proxy and per-environment networks replace it`,
          'routing labels (e.g. traefik) are replaced by the domains in slipway.yaml',
          this.pos(e.keyNode),
        );
    }
    return out;
  }

  /** Map entries with `<<` merge keys applied (explicit keys win), aliases resolved. */
  entries(map: Node | null, path: string): Entry[] {
    const node = this.deref(map);
    if (!isMap(node)) return [];
    const out: Entry[] = [];
    const merged: Entry[] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
      const value = (pair.value as Node | null) ?? null;
      if (key === '<<') {
        const src = this.deref(value);
        const sources = isSeq(src) ? src.items.map((i) => this.deref(i as Node)) : [src];
        for (const s of sources) {
          if (isMap(s)) merged.push(...this.entries(s, path));
          else this.badType(value, path, 'a merge of a map (<<: *anchor)');
        }
        continue;
      }
      if (key === undefined) {
        this.add('error', 'bad-type', path, 'keys must be plain strings', 'quote the key', this.pos(keyNode));
        continue;
      }
      out.push({ key, keyNode, value });
    }
    const seen = new Set(out.map((e) => e.key));
    for (const m of merged) {
      if (seen.has(m.key)) continue;
      seen.add(m.key);
      out.push(m);
    }
    return out;
  }

  deref(n: Node | null | undefined): Node | null {
    if (n === undefined || n === null) return null;
    if (isAlias(n)) return (n.resolve(this.#doc) as Node | undefined) ?? null;
    return n;
  }

  pos(n: Node | null | undefined): SourcePos {
    const off = n?.range?.[0];
    return this.posAt(off ?? 0);
  }

  posAt(offset: number): SourcePos {
    const { line, col } = this.#lines.linePos(offset);
    return { file: this.file, line, col };
  }

  badType(n: Node | null, path: string, expected: string): void {
    this.add(
      'error',
      'bad-type',
      path,
      `expected ${expected}, got ${describe(this.deref(n))}`,
      `see the compose reference for "${path.split('/').pop()}"`,
      this.pos(n),
    );
  }

  unsupported(e: Entry, path: string, message: string): void {
    this.add(
      'warning',
      'unsupported-compose-key',
      path,
      message,
      'it is ignored; remove it, or express it in slipway.yaml if Slipway has an equivalent',
      this.pos(e.keyNode ?? e.value),
    );
  }

  add(severity: Severity, code: string, path: string, message: string, hint: string, pos: SourcePos): void {
    this.diags.push({ severity, code, path, message, hint, pos });
  }
}

function describe(n: Node | null): string {
  if (n === null) return 'nothing';
  if (isMap(n)) return 'a map';
  if (isSeq(n)) return 'a list';
  if (isScalar(n)) {
    if (n.value === null) return 'null';
    if (typeof n.value === 'string') return `"${n.value}"`;
    return String(n.value);
  }
  return 'an unknown value';
}

function isPathLike(src: string): boolean {
  return src.startsWith('/') || src.startsWith('.') || src.startsWith('~');
}

/** `3000`, `8080:3000`, `127.0.0.1:8080:3000`, `[::1]:8080:3000`, `3000/udp`, `3000-3005`. */
export function parseShortPort(text: string): ComposePort | undefined {
  let s = text.trim();
  let protocol: 'tcp' | 'udp' = 'tcp';
  const slash = s.lastIndexOf('/');
  if (slash >= 0) {
    const proto = s.slice(slash + 1);
    if (proto !== 'tcp' && proto !== 'udp') return undefined;
    protocol = proto;
    s = s.slice(0, slash);
  }
  const colon = s.lastIndexOf(':');
  const containerText = colon >= 0 ? s.slice(colon + 1) : s;
  const published = colon >= 0 ? s.slice(0, colon) : undefined;
  const m = /^(\d+)(?:-(\d+))?$/.exec(containerText);
  if (!m) return undefined;
  const container = Number(m[1]);
  if (container < 1 || container > 65535) return undefined;
  if (published !== undefined && !/^(?:(?:\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(?:\d+(?:-\d+)?)?$/.test(published)) return undefined;
  return { container, protocol, ...(published ? { published } : {}) };
}
