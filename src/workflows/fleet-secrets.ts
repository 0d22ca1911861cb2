// Fleet-wide secrets (a DNS zone's credentials: not any one environment's) through an open
// session: the repository's secrets/_all.age, else the value set for every environment on the
// first of `servers` that has one (secrets-file-lookup.ts decides the order on each).
import type { Secret } from '../util/secret.ts';
import type { FleetSession } from './fleet-session.ts';
import { secretLookup } from './secrets-file-lookup.ts';

export type GetSecret = (name: string) => Promise<Secret | undefined>;

export function fleetSecrets(session: FleetSession, servers: readonly string[] = [...session.runs.keys()]): GetSecret {
  return async (name) => {
    for (const server of servers) {
      const run = session.runs.get(server);
      if (!run) continue;
      const v = await secretLookup(run).getSecret(name);
      if (v) return v;
    }
    return undefined;
  };
}

/** fleetSecrets over a session opened on the first lookup (`open`), and closed by `close` if it was. */
export function lazyFleetSecrets(open: () => Promise<FleetSession>, servers: readonly string[]): { getSecret: GetSecret; close(): Promise<void> } {
  let session: Promise<FleetSession> | undefined;
  return {
    async getSecret(name) {
      session ??= open();
      return fleetSecrets(await session, servers)(name);
    },
    async close() {
      if (session) await (await session.catch(() => undefined))?.close();
    },
  };
}
