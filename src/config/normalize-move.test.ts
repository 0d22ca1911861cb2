// The environment's `move:` section: defaults when absent, each setting read, and a bad value
// reported where it is, with a hint.
import { describe, expect, it } from 'vitest';
import { loadFleet } from './load.ts';

const fleet = (move: string) => `project: acme
servers:
  s1: { local: true, memory: 4GiB }
environments:
  prod: { server: s1, domain: "{app}.example.com"${move} }
apps:
  web:
    image: acme/web:v1
    processes:
      web: { port: 80, health: /, memory: 64MiB }
`;

describe('move settings', () => {
  it('defaults: test- prefix, no extra checks, 48 h stable, Retry-After 2', () => {
    const r = loadFleet('/x/slipway.yaml', { text: fleet('') });
    expect(r.fleet?.environments[0]?.move).toEqual({ testPrefix: 'test-', checks: [], stableMs: 48 * 3_600_000, retryAfterS: 2, heldWrites: '503' });
  });

  it('reads each setting', () => {
    const r = loadFleet('/x/slipway.yaml', {
      text: fleet(', move: { test_prefix: "test.", checks: ["/api/health/", "/"], stable: 7d, retry_after: 5, held_writes: wait }'),
    });
    expect(r.fleet?.environments[0]?.move).toEqual({
      testPrefix: 'test.',
      checks: ['/api/health/', '/'],
      stableMs: 7 * 86_400_000,
      retryAfterS: 5,
      heldWrites: 'wait',
    });
    const q = loadFleet('/x/slipway.yaml', { text: fleet(', move: { held_writes: 503 }') });
    expect(q.fleet?.environments[0]?.move?.heldWrites).toBe('503');
    const bad = loadFleet('/x/slipway.yaml', { text: fleet(', move: { held_writes: queue }') });
    expect(bad.fleet).toBeUndefined();
    expect(JSON.stringify(bad.diagnostics)).toContain('expected 503 or wait');
  });

  it('a bad prefix or path is a schema diagnostic at its place', () => {
    const r = loadFleet('/x/slipway.yaml', { text: fleet(', move: { test_prefix: "Test", checks: ["health"] }') });
    const errors = r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.path}: ${d.message}`);
    expect(errors.join('\n')).toMatch(/move\/test_prefix: expected a DNS label start/);
    expect(errors.join('\n')).toMatch(/move\/checks\/0: expected a path starting with "\/"/);
  });

  it('a bad stable period is a diagnostic with a hint', () => {
    const r = loadFleet('/x/slipway.yaml', { text: fleet(', move: { stable: soon }') });
    const d = r.diagnostics.find((x) => x.code === 'move-stable-invalid');
    expect(d).toMatchObject({ severity: 'error', path: 'environments/prod/move/stable', message: 'invalid duration "soon"' });
    expect(d?.hint).toMatch(/48h/);
    expect(d?.pos).toBeDefined();
  });
});
