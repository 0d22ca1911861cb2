// `extends`: a service starts from another one, in the same file or in another file, and its own
// keys merge over it with the compose merge rules (read-merge.ts). As in docker compose, extends
// is resolved in each file before the files are merged, chains are followed, cycles are errors,
// and relative paths of a service taken from another file (build context, env_file, bind mounts)
// are rewritten so they still point where that file meant.
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { SourcePos } from '../../diag/diagnostic.ts';
import { type CMap, type CNode, get, isMap, isScalar, isSeq, scalar, text, withEntry, withoutEntry } from './compose-tree.ts';
import type { ReadContext } from './read-context.ts';
import { clean, mergeNode } from './read-merge.ts';

export interface ExtendsFiles {
  /** The tree of another compose file (loaded and interpolated once), or undefined if it cannot be read. */
  load(file: string, from: SourcePos): CNode | undefined;
}

/** `root` with every service's `extends` applied. `baseDir` is the directory relative paths in this file are relative to. */
export function applyExtends(rc: ReadContext, root: CNode, file: string, baseDir: string, files: ExtendsFiles): CNode {
  const services = get(root, 'services');
  if (!isMap(root) || !isMap(services) || !services.entries.some((e) => get(e.value, 'extends') !== undefined)) return root;
  const r = new Resolver(rc, files);
  let out = services;
  for (const e of services.entries) {
    const resolved = r.service(e.key, services, file, baseDir, []);
    if (resolved !== e.value) out = withEntry(out, e.key, resolved, e.keyNode.pos);
  }
  return withEntry(root, 'services', out);
}

class Resolver {
  readonly #done = new Map<string, CNode>();

  constructor(
    readonly rc: ReadContext,
    readonly files: ExtendsFiles,
  ) {}

  /** The service `name` of `services` (a file's services map) with its extends chain applied. */
  service(name: string, services: CMap, file: string, baseDir: string, chain: string[]): CNode {
    const key = `${file}#${name}`;
    const done = this.#done.get(key);
    if (done) return done;
    const out = this.resolve(name, services, file, baseDir, chain);
    this.#done.set(key, out);
    return out;
  }

  resolve(name: string, services: CMap, file: string, baseDir: string, chain: string[]): CNode {
    const svc = get(services, name)!;
    const ext = get(svc, 'extends');
    if (!isMap(svc) || ext === undefined) return svc;
    const path = `services/${name}/extends`;
    const own = withoutEntry(svc, 'extends');
    const ref = isMap(ext) ? text(get(ext, 'service')) : text(ext);
    const refFile = isMap(ext) ? get(ext, 'file') : undefined;
    if (ref === undefined) {
      this.rc.badType(isMap(ext) ? (get(ext, 'service') ?? ext) : ext, path, 'a service name, or { service: NAME, file: PATH }');
      return own;
    }
    const here = `${file}#${name}`;
    if (chain.includes(here)) {
      this.rc.add(
        'error',
        'extends-cycle',
        path,
        `service "${name}" extends itself through ${[...chain, here].map((c) => c.split('#')[1]).join(' → ')}`,
        'break the chain: one of these services must not extend the others',
        ext.pos,
      );
      return own;
    }
    let base: CNode | undefined;
    if (refFile !== undefined) {
      const rel = text(refFile);
      if (rel === undefined) {
        this.rc.badType(refFile, `${path}/file`, 'a file path');
        return own;
      }
      const other = resolve(baseDir, rel);
      const tree = this.files.load(other, refFile.pos);
      if (tree === undefined) return own; // reported by load()
      const otherServices = get(tree, 'services');
      if (!isMap(otherServices) || get(otherServices, ref) === undefined) {
        this.missing(name, ref, rel, ext.pos, path);
        return own;
      }
      const resolved = this.service(ref, otherServices, other, dirname(other), [...chain, here]);
      base = rebase(resolved, dirname(other), baseDir);
    } else {
      if (get(services, ref) === undefined) {
        this.missing(name, ref, undefined, ext.pos, path);
        return own;
      }
      base = this.service(ref, services, file, baseDir, [...chain, here]);
    }
    const problem = (p: string, message: string, pos: SourcePos) =>
      this.rc.add('error', 'merge-conflict', p, message, 'give both the same shape (a map or a list)', pos);
    return mergeNode(clean(withoutEntry(base as CMap, 'extends')), own, ['services', name], problem) ?? own;
  }

  missing(name: string, ref: string, file: string | undefined, pos: SourcePos, path: string): void {
    this.rc.add(
      'error',
      'extends-unknown-service',
      path,
      `service "${name}" extends "${ref}", which is not a service of ${file ?? 'this file'}`,
      file ? `check the service name in ${file}` : `define a service "${ref}", or add file: PATH to extends`,
      pos,
    );
  }
}

/** A service taken from a file in `from` used by a file whose paths are relative to `to`. */
function rebase(svc: CNode, from: string, to: string): CNode {
  if (!isMap(svc) || from === to) return svc;
  const move = (p: string): string => {
    if (isAbsolute(p) || /^[a-z][a-z0-9+.-]*:\/\//i.test(p) || p.startsWith('git@') || p.startsWith('~')) return p;
    const r = relative(to, resolve(from, p)) || '.';
    return r.startsWith('.') || isAbsolute(r) ? r : `./${r}`;
  };
  const moveScalar = (n: CNode): CNode => (isScalar(n) && typeof n.value === 'string' ? { ...n, value: move(n.value) } : n);
  let out = svc;
  const build = get(svc, 'build');
  if (build !== undefined) {
    if (isMap(build)) {
      const ctx = get(build, 'context');
      out = withEntry(out, 'build', withEntry(build, 'context', ctx ? moveScalar(ctx) : scalar(move('.'), build.pos)));
    } else out = withEntry(out, 'build', moveScalar(build));
  }
  const envFile = get(svc, 'env_file');
  if (envFile !== undefined) {
    const one = (n: CNode): CNode => (isMap(n) ? withEntry(n, 'path', moveScalar(get(n, 'path') ?? scalar(null, n.pos))) : moveScalar(n));
    out = withEntry(out, 'env_file', isSeq(envFile) ? { ...envFile, items: envFile.items.map(one) } : one(envFile));
  }
  const volumes = get(svc, 'volumes');
  if (isSeq(volumes)) {
    const one = (n: CNode): CNode => {
      if (isMap(n)) {
        const src = get(n, 'source');
        return text(get(n, 'type')) === 'bind' && src ? withEntry(n, 'source', moveScalar(src)) : n;
      }
      const s = text(n);
      if (s === undefined || !s.startsWith('.')) return n;
      const colon = s.indexOf(':');
      return colon < 0 ? n : { ...(n as CNode & { kind: 'scalar' }), value: move(s.slice(0, colon)) + s.slice(colon) };
    };
    out = withEntry(out, 'volumes', { ...volumes, items: volumes.items.map(one) });
  }
  return out;
}
