// The control plane's own secrets (a webhook's signing secret, an SMTP password, the metrics
// token) are named in the fleet file as `{ secret: NAME }` and kept where the fleet's other
// fleet-wide secrets are: secrets/_all.age, else the servers' secret store. Each lookup opens a
// session on the fleet's servers and closes it; the value is a Secret, never printed.
import type { Fleet } from '../config/fleet.ts';
import { withSession, type SessionIO } from '../workflows/fleet-session.ts';
import { fleetSecrets } from '../workflows/fleet-secrets.ts';
import type { ControlPlaneSecret } from './serve-part.ts';

export function fleetSecretLookup(io: SessionIO, loadFleet: () => Promise<Fleet>, identity?: string): ControlPlaneSecret {
  return async (name) => {
    const fleet = await loadFleet();
    const servers = fleet.servers.map((s) => s.name);
    return withSession(io, fleet, servers, { json: true, partial: true, ...(identity ? { identity } : {}) }, (s) => fleetSecrets(s)(name));
  };
}
