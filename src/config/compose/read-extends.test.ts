// `extends` as docker compose resolves it: from the same file or another one, chains followed,
// the extending service's keys merged over the base with the compose merge rules, relative paths
// of another file's service kept pointing where that file meant, cycles and unknown names reported.
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../diag/diagnostic.ts';
import { readCompose } from './read.ts';
import type { ComposeService } from './types.ts';

const FILE = '/app/docker-compose.yml';

function read(text: string, files: Record<string, string> = {}) {
  return readCompose(FILE, text, { readFile: (p) => files[p] });
}

function svc(r: { compose?: { services: ComposeService[] } }, name: string): ComposeService {
  const s = r.compose?.services.find((x) => x.name === name);
  if (!s) throw new Error(`no service ${name}`);
  return s;
}

const brief = (d: Diagnostic) => `${d.severity} ${d.code} ${d.path} @${d.pos?.line}:${d.pos?.col}`;

describe('readCompose: extends', () => {
  it('starts from a service of the same file and merges its own keys over it', () => {
    const r = read(
      [
        'services:',
        '  base:',
        '    image: app:1',
        '    command: [node, server.js]',
        '    environment: { A: "1", B: "2" }',
        '    ports: ["3000:3000"]',
        '  worker:',
        '    extends: base',
        '    command: [node, worker.js]',
        '    environment: { B: "b", C: "3" }',
        '    ports: ["9229:9229"]',
        '',
      ].join('\n'),
    );
    expect(r.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    const w = svc(r, 'worker');
    expect(w.image).toBe('app:1');
    expect(w.command).toEqual(['node', 'worker.js']);
    expect(w.environment).toEqual({ A: '1', B: 'b', C: '3' });
    expect(w.ports.map((p) => p.container)).toEqual([3000, 9229]);
    expect(svc(r, 'base').command).toEqual(['node', 'server.js']);
  });

  it('follows chains, with the long form { service }', () => {
    const r = read(
      'services:\n  a:\n    image: a:1\n    environment: { A: "1" }\n  b:\n    extends: { service: a }\n    environment: { B: "1" }\n  c:\n    extends: b\n',
    );
    expect(svc(r, 'c')).toMatchObject({ image: 'a:1', environment: { A: '1', B: '1' } });
  });

  it('takes a service from another file, rewriting its relative paths to stay where that file meant', () => {
    const common = [
      'services:',
      '  node-app:',
      '    build: { context: ./app, dockerfile: Dockerfile.dev }',
      '    env_file: [common.env]',
      '    volumes: ["./conf/app.ini:/etc/app.ini:ro", "data:/data", { type: bind, source: ./static, target: /static }]',
      '',
    ].join('\n');
    const r = read('services:\n  web:\n    extends: { file: shared/common.yml, service: node-app }\n    image: web:1\nvolumes: { data: {} }\n', {
      '/app/shared/common.yml': common,
      '/app/shared/common.env': 'FROM_COMMON=yes\n',
    });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const w = svc(r, 'web');
    expect(w.build).toEqual({ context: './shared/app', dockerfile: 'Dockerfile.dev' });
    expect(w.environment).toEqual({ FROM_COMMON: 'yes' });
    expect(w.volumes.map((v) => `${v.kind} ${v.source}:${v.target}`)).toEqual([
      'bind ./shared/conf/app.ini:/etc/app.ini',
      'volume data:/data',
      'bind ./shared/static:/static',
    ]);
    expect(w.image).toBe('web:1');
  });

  it('reports problems in the other file at that file', () => {
    const r = read('services:\n  web:\n    extends: { file: other.yml, service: x }\n', {
      '/app/other.yml': 'services:\n  x:\n    image: x\n    cpus: many\n',
    });
    expect(r.diagnostics.map((d) => `${d.code} ${d.pos?.file}:${d.pos?.line}`)).toEqual(['bad-cpus /app/other.yml:4']);
  });

  it.each([
    ['unknown service', 'services:\n  a:\n    extends: nope\n    image: a\n', ['error extends-unknown-service services/a/extends @3:14']],
    [
      'unknown service in another file',
      'services:\n  a:\n    extends: { file: other.yml, service: nope }\n    image: a\n',
      ['error extends-unknown-service services/a/extends @3:14'],
    ],
    ['missing file', 'services:\n  a:\n    extends: { file: gone.yml, service: a }\n    image: a\n', ['error compose-not-found  @3:22']],
    ['cycle', 'services:\n  a:\n    image: a\n    extends: b\n  b:\n    extends: a\n', ['error extends-cycle services/a/extends @4:14']],
    ['extends without service', 'services:\n  a:\n    image: a\n    extends: { file: other.yml }\n', ['error bad-type services/a/extends @4:14']],
  ])('%s', (_name, text, expected) => {
    const r = read(text, { '/app/other.yml': 'services:\n  x:\n    image: x\n' });
    expect(r.diagnostics.filter((d) => d.severity === 'error').map(brief)).toEqual(expected);
    expect(r.compose).toBeUndefined();
  });
});
