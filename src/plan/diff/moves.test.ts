// Pending moves: an environment running on a server the fleet file no longer places it on is left
// out of that server's diff (nothing of it deleted) and named as a move; a server gone from the
// fleet is emptied as before; an environment gone from the fleet is deleted as before.
import { describe, expect, it } from 'vitest';
import type { DesiredState, ServerState } from '../desire/desired.ts';
import { diff } from './diff.ts';
import type { ObservedServer } from './observed.ts';

const server = (name: string, envs: string[]): ServerState =>
  ({
    server: name,
    networks: envs.map((env) => ({ name: `acme-${env}`, purpose: 'private', env, labels: {} })),
    volumes: [],
    containers: [],
    routes: [],
    databases: [],
    redisDbs: [],
  }) as unknown as ServerState;

const observed = (name: string, env: string): ObservedServer => ({
  server: name,
  networks: [{ name: `acme-${env}`, labels: { 'slipway.project': 'acme', 'slipway.env': env } }],
  volumes: [{ name: `acme-${env}-web-media`, labels: { 'slipway.project': 'acme', 'slipway.env': env, 'slipway.app': 'web' } }],
  containers: [],
  routes: [],
  databases: [],
  redisDbs: [],
});

describe('pending moves in the plan', () => {
  it('prod placed on new but running on old: nothing of it is deleted on old, and the plan names the move', () => {
    const desired: DesiredState = { project: 'acme', servers: [server('old', []), server('new', ['prod'])] };
    const plan = diff(desired, { project: 'acme', servers: [observed('old', 'prod'), { ...observed('new', 'prod') }] });
    expect(plan.actions.filter((a) => a.server === 'old')).toEqual([]);
    expect(plan.kept.filter((k) => k.server === 'old')).toEqual([]);
    expect(plan.moves).toEqual([{ env: 'prod', from: 'old', to: 'new', reason: expect.stringContaining('slipway move prod --to new') }]);
  });

  it('an environment gone from the fleet is no move: its network is deleted, its volume kept', () => {
    const desired: DesiredState = { project: 'acme', servers: [server('old', []), server('new', [])] };
    const plan = diff(desired, { project: 'acme', servers: [observed('old', 'prod')] });
    expect(plan.moves).toBeUndefined();
    expect(plan.actions.map((a) => `${a.server} ${a.kind} ${a.type} ${a.id}`)).toEqual(['old delete network acme-prod']);
    expect(plan.kept.map((k) => k.id)).toEqual(['acme-prod-web-media']);
  });

  it('a server gone from the fleet is emptied even when the environment runs elsewhere', () => {
    const desired: DesiredState = { project: 'acme', servers: [server('new', ['prod'])] };
    const plan = diff(desired, { project: 'acme', servers: [observed('gone', 'prod')] });
    expect(plan.moves).toBeUndefined();
    expect(plan.actions.some((a) => a.server === 'gone' && a.kind === 'delete')).toBe(true);
  });
});
