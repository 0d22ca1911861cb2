// The process an app's domains route to (apps.ts, routes.ts and networks.ts all ask).
import type { ProcessSpec } from '../../config/fleet.ts';

/**
 * The process the app's domains route to: the one marked `web: true` (compose import marks its
 * choice), else `web` if it has a port, else the first with a port; never one marked `web: false`.
 */
export function webProcess(processes: readonly ProcessSpec[]): ProcessSpec | undefined {
  const marked = processes.find((p) => p.web === true && p.port !== undefined);
  if (marked) return marked;
  const eligible = processes.filter((p) => p.port !== undefined && p.web !== false);
  return eligible.find((p) => p.name === 'web') ?? eligible[0];
}
