// Several compose files merged in order, as `docker compose -f a.yml -f b.yml`: the compose spec's
// merge rules (maps merged, lists appended, command replaced, ports/volumes unique, !reset and
// !override), with every problem still pointing at the file and line it came from.
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../diag/diagnostic.ts';
import { readCompose } from './read.ts';
import type { ComposeService } from './types.ts';

const BASE = '/app/docker-compose.yml';
const OVER = '/app/docker-compose.prod.yml';

function merged(base: string, over: string, extra: Record<string, string> = {}) {
  const files: Record<string, string> = { [BASE]: base, [OVER]: over, ...extra };
  return readCompose([BASE, OVER], undefined, { readFile: (p) => files[p] });
}

function svc(r: { compose?: { services: ComposeService[] } }, name = 'web'): ComposeService {
  const s = r.compose?.services.find((x) => x.name === name);
  if (!s) throw new Error(`no service ${name}`);
  return s;
}

const brief = (d: Diagnostic) => `${d.severity} ${d.code} ${d.path} @${d.pos?.file}:${d.pos?.line}:${d.pos?.col}`;

describe('readCompose: files merged in order', () => {
  it('merges maps key by key and adds services of the later file', () => {
    const r = merged(
      'services:\n  web:\n    image: web:1\n    environment: { A: "1", B: "2" }\n',
      'services:\n  web:\n    image: web:2\n    environment: { B: "two", C: "3" }\n  worker:\n    image: worker:1\n',
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.compose!.files).toEqual([BASE, OVER]);
    expect(r.compose!.services.map((s) => s.name)).toEqual(['web', 'worker']);
    expect(svc(r).image).toBe('web:2');
    expect(svc(r).environment).toEqual({ A: '1', B: 'two', C: '3' });
  });

  it('merges environment given as a map in one file and a list in the other', () => {
    const r = merged('services:\n  web:\n    image: w\n    environment: [A=1, B=2]\n', 'services:\n  web:\n    environment: { B: "3" }\n');
    expect(svc(r).environment).toEqual({ A: '1', B: '3' });
    expect(svc(r).envPos.B).toEqual({ file: OVER, line: 3, col: 23 });
  });

  it('replaces command and entrypoint instead of appending', () => {
    const r = merged(
      'services:\n  web:\n    image: w\n    command: [node, a.js]\n    entrypoint: [tini, --]\n',
      'services:\n  web:\n    command: node b.js --prod\n',
    );
    expect(svc(r).command).toEqual(['node', 'b.js', '--prod']);
    expect(svc(r).entrypoint).toEqual(['tini', '--']);
  });

  it('replaces healthcheck.test but merges the rest of the healthcheck', () => {
    const r = merged(
      'services:\n  web:\n    image: w\n    healthcheck: { test: [CMD, a], interval: 10s, retries: 3 }\n',
      'services:\n  web:\n    healthcheck: { test: [CMD, b], interval: 30s }\n',
    );
    expect(svc(r).health).toEqual({ test: ['CMD', 'b'], intervalMs: 30_000, retries: 3 });
  });

  it('keeps one port per ip/published/target/protocol and one mount per target, the later one winning', () => {
    const r = merged(
      'services:\n  web:\n    image: w\n    ports: ["8080:80", "9000:9000"]\n    volumes: ["data:/data", "./conf:/etc/app:ro"]\nvolumes: { data: {}, other: {} }\n',
      'services:\n  web:\n    ports: [{ target: 80, published: "8080" }, "443:443"]\n    volumes: ["other:/data"]\n',
    );
    expect(svc(r).ports.map((p) => `${p.published}:${p.container}`)).toEqual(['8080:80', '9000:9000', '443:443']);
    expect(svc(r).volumes.map((v) => `${v.source}:${v.target}`)).toEqual(['other:/data', './conf:/etc/app']);
  });

  it('appends plain lists (expose) without duplicates', () => {
    const r = merged('services:\n  web:\n    image: w\n    expose: ["3000"]\n', 'services:\n  web:\n    expose: ["3000", "9229"]\n');
    expect(svc(r).expose).toEqual([3000, 9229]);
  });

  it('turns a depends_on list into a map so both files add dependencies', () => {
    const r = merged(
      'services:\n  web:\n    image: w\n    depends_on: [db]\n  db:\n    image: postgres:17\n  cache:\n    image: redis:7\n',
      'services:\n  web:\n    depends_on: { cache: { condition: service_started } }\n',
    );
    expect(svc(r).dependsOn).toEqual(['db', 'cache']);
  });

  it('merges build: ./dir with a build map of the later file', () => {
    const r = merged('services:\n  web:\n    build: ./api\n', 'services:\n  web:\n    build: { dockerfile: Dockerfile.prod }\n');
    expect(svc(r).build).toEqual({ context: './api', dockerfile: 'Dockerfile.prod' });
  });

  it('removes a value with !reset and replaces one whole with !override', () => {
    const r = merged(
      'services:\n  web:\n    image: w\n    ports: ["8080:80"]\n    environment: { A: "1", B: "2" }\n    labels: { a: "1" }\n',
      'services:\n  web:\n    ports: !override ["9090:90"]\n    environment:\n      B: !reset null\n    labels: !reset {}\n',
    );
    expect(r.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    expect(svc(r).ports.map((p) => p.container)).toEqual([90]);
    expect(svc(r).environment).toEqual({ A: '1' });
    expect(svc(r).labels).toEqual({});
  });

  it('keeps the base value when the later file writes the key with no value', () => {
    const r = merged('services:\n  web:\n    image: w:1\n', 'services:\n  web:\n    image:\n');
    expect(svc(r).image).toBe('w:1');
  });

  it('reports a map merged onto a list, at the later file', () => {
    const r = merged('services:\n  web:\n    image: w\n    expose: ["80"]\n', 'services:\n  web:\n    expose: { a: 1 }\n');
    expect(r.diagnostics.filter((d) => d.severity === 'error').map(brief)).toEqual([`error merge-conflict services/web/expose @${OVER}:3:13`]);
    expect(r.diagnostics[0]!.message).toContain(`${BASE}:4:13`);
    expect(r.compose).toBeUndefined();
  });

  it('points problems at the file that has them', () => {
    const r = merged('services:\n  web:\n    image: w\n', 'services:\n  web:\n    cpus: lots\n');
    expect(r.diagnostics.map(brief)).toEqual([`error bad-cpus services/web/cpus @${OVER}:3:11`]);
  });

  it('reports a missing or broken later file', () => {
    const missing = readCompose([BASE, OVER], undefined, { readFile: (p) => (p === BASE ? 'services:\n  web:\n    image: w\n' : undefined) });
    expect(missing.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([`compose-not-found cannot read compose file ${OVER}`]);
    const broken = merged('services:\n  web:\n    image: w\n', 'services:\n  web: [\n');
    expect(broken.diagnostics.map((d) => `${d.code} ${d.pos?.file}`)).toEqual([`yaml-syntax ${OVER}`]);
    expect(broken.compose).toBeUndefined();
  });
});
