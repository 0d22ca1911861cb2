// A deploy refuses to start when an external network or volume its app uses in the environment
// does not exist on the server (as compose does), naming each one and how to create it.
import { describe, expect, it } from 'vitest';
import { UserError } from '../diag/errors.ts';
import { fakeWorld } from '../../test/support/fake-session.ts';
import { assertExternals, missingExternals } from './externals.ts';

describe('external networks and volumes before a deploy', () => {
  it('names the missing ones, then passes once they exist', async () => {
    const w = await fakeWorld();
    const base = w.run('s1');
    const run = {
      ...base,
      state: {
        ...base.state,
        externals: [
          { type: 'network' as const, name: 'monitoring', env: 'prod', app: 'web' },
          { type: 'volume' as const, name: 'legacy-data', env: 'prod', app: 'web' },
          { type: 'volume' as const, name: 'staging-only', env: 'staging', app: 'web' },
        ],
      },
    };
    expect(await missingExternals(run, 'web', 'prod')).toEqual([
      { type: 'network', name: 'monitoring' },
      { type: 'volume', name: 'legacy-data' },
    ]);
    const err = await assertExternals(run, 'web', 'prod').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe('web in prod uses external network monitoring, external volume legacy-data, which do not exist on s1');
    expect((err as UserError).hint).toBe(
      'create them on s1 (docker network create monitoring; docker volume create legacy-data), or drop "external: true" in the compose file to get one per environment',
    );
    await w.engine('s1').createNetwork({ name: 'monitoring', labels: {} });
    await w.engine('s1').createVolume({ name: 'legacy-data', labels: {} });
    await expect(assertExternals(run, 'web', 'prod')).resolves.toBeUndefined();
    expect(await missingExternals(run, 'web', 'staging')).toEqual([{ type: 'volume', name: 'staging-only' }]);
  });

  it('costs nothing for an app without externals', async () => {
    const w = await fakeWorld();
    w.engine('s1').clearTranscript();
    await assertExternals(w.run('s1'), 'web', 'prod');
    expect(w.engine('s1').transcript).toEqual([]);
  });
});
