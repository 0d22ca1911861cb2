// StateStore.ensure when another command creates the holder at the same moment: Docker reserves the
// name before it registers the container, so a create can answer 409 while an inspect or an archive
// upload still answers 404. The store waits for the holder instead of failing.
import { describe, expect, it } from 'vitest';
import type { CreateContainerSpec } from '../engine/docker-engine.ts';
import { FakeEngine } from '../engine/fake-engine.ts';
import { StateStore } from './state-store.ts';
import { STATE_IMAGE } from './state-image.ts';

/** A FakeEngine in which another process is creating `name`: create conflicts; the container appears after `lagMs`. */
class RacingEngine extends FakeEngine {
  appeared = false;
  constructor(
    readonly racing: string,
    readonly lagMs: number,
  ) {
    super('s1', { images: [STATE_IMAGE] });
  }
  override async createContainer(spec: CreateContainerSpec): Promise<string> {
    if (spec.name !== this.racing || this.appeared) return super.createContainer(spec);
    setTimeout(() => {
      this.appeared = true;
      void super.createContainer(spec);
    }, this.lagMs);
    const e = Object.assign(new Error(`Conflict. The container name "/${spec.name}" is already in use`), { statusCode: 409, conflict: true });
    throw e;
  }
}

describe('StateStore.ensure racing another creator', () => {
  it('waits for the holder the other command is creating, then writes the state marker', async () => {
    const engine = new RacingEngine('acme-slipway-state', 150);
    const store = new StateStore(engine, 'acme');
    await store.ensure();
    expect(engine.appeared).toBe(true);
    expect(await store.read('.slipway')).toEqual(Buffer.from('state v1\n'));
  });

  it('gives up with the engine error when the holder never appears', async () => {
    const engine = new RacingEngine('acme-slipway-state', 60_000);
    const store = new StateStore(engine, 'acme');
    await expect(store.ensure()).rejects.toThrow(/acme-slipway-state/);
  }, 15_000);
});
