// Every generated file of a fleet, with a stable relative path: the compose export per
// environment, nginx and Caddy config and Postgres init SQL per server. Pure.
import type { Fleet } from '../config/fleet.ts';
import type { DesiredState } from '../plan/desire/desired.ts';
import { renderCaddy } from './caddy.ts';
import { renderCompose } from './compose.ts';
import { renderNginx } from './nginx.ts';
import { renderPostgresInitSql } from './sql.ts';

export const KINDS = ['compose', 'nginx', 'caddy', 'sql', 'all'] as const;
export type Kind = (typeof KINDS)[number];

export interface RenderedFile {
  path: string;
  kind: Exclude<Kind, 'all'>;
  content: string;
}

/** Every generated file for the fleet, with a stable relative path. */
export function renderAll(fleet: Fleet, desired: DesiredState, kinds: readonly Exclude<Kind, 'all'>[]): RenderedFile[] {
  const out: RenderedFile[] = [];
  if (kinds.includes('compose')) {
    for (const env of fleet.environments)
      out.push({ kind: 'compose', path: `compose/${env.name}.yml`, content: renderCompose(desired, fleet.project, env.name, { fleet }) });
  }
  for (const server of desired.servers) {
    if (kinds.includes('nginx')) out.push({ kind: 'nginx', path: `nginx/${server.server}.conf`, content: renderNginx(server) });
    if (kinds.includes('caddy')) out.push({ kind: 'caddy', path: `caddy/${server.server}.json`, content: `${JSON.stringify(renderCaddy(server), null, 2)}\n` });
    if (kinds.includes('sql') && server.databases.length) out.push({ kind: 'sql', path: `sql/${server.server}.sql`, content: renderPostgresInitSql(server) });
  }
  return out;
}
