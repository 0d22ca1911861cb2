// Which app processes `check --live` probes as the app's own data stores and brokers: known images
// only (by image name, whatever the registry or tag), one per process (replica 0), on their own
// port or the image's usual one; a web process with a volume is not one.
import { describe, expect, it } from 'vitest';
import type { ContainerSpec } from '../plan/desire/desired.ts';
import { dataServices, imageName } from './isolation-app-services.ts';

const spec = (process: string, image: string, more: Partial<ContainerSpec> = {}): ContainerSpec =>
  ({ role: 'app', app: 'stack', env: 'qual', process, replica: 0, image, mounts: {}, networks: [], ...more }) as ContainerSpec;

describe('app data services for check --live', () => {
  it('reads the image name without registry, tag or digest', () => {
    expect(imageName('docker.io/library/postgres:15@sha256:abc')).toBe('postgres');
    expect(imageName('bitnami/rabbitmq:3.13')).toBe('rabbitmq');
    expect(imageName('redis')).toBe('redis');
  });

  it('covers known data stores and brokers, on their own port or the usual one; nothing else', () => {
    const found = dataServices([
      spec('db', 'postgres:15'),
      spec('db', 'postgres:15', { replica: 1 }),
      spec('cache', 'redis:7', { port: 6380 }),
      spec('mq', 'rabbitmq:3-management'),
      spec('web', 'acme/web:current', { port: 8000, mounts: { 'p-qual-stack-media': '/media' } }),
      spec('pg', 'postgres:17', { role: 'service' }),
    ]);
    expect(found.map((f) => `${f.spec.process}:${f.port}:${f.kind}`)).toEqual(['db:5432:postgres', 'cache:6380:redis', 'mq:5672:rabbitmq']);
  });
});
