// Tests for the engine error hierarchy (redaction: src/util/secret.test.ts).
import { describe, expect, it } from 'vitest';
import { BuildError, EngineError, ExecError, isNotFound } from './engine-errors.ts';

describe('engine errors', () => {
  it('EngineError names the server, op and target', () => {
    const e = new EngineError('web1', 'removeContainer', 'acme-x', 'No such container: acme-x', 404);
    expect(e.message).toBe('web1: removeContainer acme-x failed: No such container: acme-x');
    expect(e.notFound).toBe(true);
    expect(e.conflict).toBe(false);
    expect(isNotFound(e)).toBe(true);
    expect(isNotFound(new Error('x'))).toBe(false);
  });

  it('ExecError carries argv, host, exit code and stderr', () => {
    const e = new ExecError(['pg_dump', '-Fc', 'app'], 'db1/acme-pg', 2, 'line1\npg_dump: error: connection refused\n');
    expect(e).toMatchObject({ argv: ['pg_dump', '-Fc', 'app'], host: 'db1/acme-pg', exitCode: 2 });
    expect(e.message).toContain('db1/acme-pg: ["pg_dump","-Fc","app"] exited 2');
    expect(e.message).toContain('connection refused');
  });

  it('BuildError is an EngineError with the log tail', () => {
    const e = new BuildError('web1', 'acme/blog:r1', ['Step 2/2 : RUN false', 'exit code 1'], 'The command returned 1');
    expect(e).toBeInstanceOf(EngineError);
    expect(e.logTail).toHaveLength(2);
    expect(e.message).toContain('RUN false');
  });
});
