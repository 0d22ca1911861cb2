// Tests for parsing observed-state snapshots: derived keys, and diagnostics for bad input.
import { defaultTls } from '../../config/fleet.ts';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseObserved, parseObservedJson } from './observed-schema.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../test/fixtures/plan/observed/${name}`, import.meta.url), 'utf8');

describe('parseObservedJson', () => {
  it('parses a valid snapshot, deriving key, role, hash and release from labels', () => {
    const res = parseObservedJson(fixture('valid.json'), 'valid.json');
    expect(res.diagnostics).toEqual([]);
    const s = res.observed!.servers[0]!;
    expect(s.networks[1]).toEqual({ name: 'bridge', labels: {} });
    expect(s.containers.map((c) => [c.key, c.role, c.specHash, c.release, c.state])).toEqual([
      ['aletheia/prod/web/1', 'app', 'abc123', 'r7', 'running'],
      ['service/postgres', 'service', 'pg1', undefined, 'exited'],
      ['proxy', 'proxy', 'px1', undefined, 'running'],
    ]);
    expect(s.routes).toEqual([
      {
        host: 'aletheia.example.com',
        env: '',
        app: '',
        upstream: 'aletheia-prod-web:3000',
        tls: defaultTls('auto'),
        basicAuth: null,
        rateLimit: null,
        maintenance: false,
      },
    ]);
    expect(s.databases).toHaveLength(1);
    expect(s.redisDbs).toHaveLength(1);
  });

  it("keeps a container's networks (sorted) when the snapshot has them", () => {
    const res = parseObserved({
      project: 'p',
      servers: [
        {
          server: 's',
          containers: [{ name: 'p-proxy', image: 'caddy:2', state: 'running', labels: { 'slipway.role': 'proxy' }, networks: ['p-prod-edge', 'p-dev-edge'] }],
        },
      ],
    });
    expect(res.diagnostics).toEqual([]);
    expect(res.observed!.servers[0]!.containers[0]).toMatchObject({ key: 'proxy', networks: ['p-dev-edge', 'p-prod-edge'] });
  });

  it('reports every shape problem with its key path, no stack trace', () => {
    const res = parseObservedJson(fixture('bad-shape.json'), 'bad-shape.json');
    expect(res.observed).toBeUndefined();
    expect(res.diagnostics.map((d) => [d.code, d.path])).toEqual([
      ['bad-type', 'servers/0/networks/0/name'],
      ['bad-value', 'servers/0/containers/0/state'],
      ['missing-key', 'servers/0/containers/1/name'],
      ['unknown-key', 'servers/0/containers/1/colour'],
    ]);
    expect(res.diagnostics[0]!.message).toBe('expected string, got number');
    expect(res.diagnostics[1]!.message).toBe('"sleeping" is not allowed');
    expect(res.diagnostics[1]!.hint).toBe('use one of: running, exited, created, restarting, paused, dead');
    expect(res.diagnostics[2]!.message).toBe('missing required key "name" (string)');
    for (const d of res.diagnostics) {
      expect(d.severity).toBe('error');
      expect(d.message).not.toMatch(/\n\s+at /);
    }
  });

  it('reports containers its labels cannot identify, and duplicate servers', () => {
    const res = parseObservedJson(fixture('no-key.json'));
    expect(res.observed).toBeUndefined();
    expect(res.diagnostics.map((d) => [d.code, d.path])).toEqual([
      ['no-role', 'servers/0/containers/0/role'],
      ['no-key', 'servers/0/containers/1/key'],
      ['duplicate-server', 'servers/1/server'],
    ]);
    expect(res.diagnostics[1]!.message).toBe('container "half" has no key and its labels do not identify it');
  });

  it('reports invalid JSON with file, line and column', () => {
    const res = parseObservedJson(fixture('bad-json.json'), 'bad-json.json');
    expect(res.observed).toBeUndefined();
    expect(res.diagnostics).toHaveLength(1);
    const d = res.diagnostics[0]!;
    expect(d.code).toBe('bad-json');
    expect(d.message).toMatch(/^bad-json\.json is not valid JSON: /);
    expect(d.pos).toEqual({ file: 'bad-json.json', line: 4, col: 27 });
  });

  it('rejects a value that is not an object', () => {
    expect(parseObserved([]).diagnostics).toEqual([{ severity: 'error', code: 'bad-type', path: '', message: 'expected object, got array' }]);
    expect(parseObserved({ servers: [] }).diagnostics.map((d) => [d.code, d.path])).toEqual([['missing-key', 'project']]);
  });

  it('rejects a bad Redis DB number and rate limit', () => {
    const res = parseObserved({
      project: 'p',
      servers: [
        {
          server: 's',
          routes: [{ host: 'h', upstream: 'u:1', rateLimit: { rps: -1, burst: 1 } }],
          redisDbs: [{ service: 'r', instance: 'i', env: 'e', app: 'a', db: 1.5 }],
        },
      ],
    });
    expect(res.diagnostics.map((d) => [d.code, d.path])).toEqual([
      ['bad-value', 'servers/0/routes/0/rateLimit/rps'],
      ['bad-type', 'servers/0/redisDbs/0/db'],
    ]);
  });
});
