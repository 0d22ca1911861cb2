// Checks across services once all are read: depends_on names a defined service (one left out by
// its profile is an error unless `required: false`, as in compose), named volumes and networks are
// declared at the top level.
import type { ReadContext } from './read-context.ts';
import type { ComposeProject } from './types.ts';

export function crossCheck(rc: ReadContext, project: ComposeProject, volumes: Set<string>, networks: Set<string>): void {
  const names = new Set(project.services.map((s) => s.name));
  for (const s of project.services) {
    for (const d of [...s.dependsOn]) {
      if (names.has(d)) continue;
      if (rc.optionalDeps.has(`${s.name}/${d}`)) {
        s.dependsOn = s.dependsOn.filter((x) => x !== d);
        continue;
      }
      const profiles = rc.disabled.get(d);
      if (profiles)
        rc.add(
          'error',
          'dependency-disabled',
          `services/${s.name}/depends_on/${d}`,
          `service "${s.name}" depends on "${d}", which is left out: its profile ${profiles.map((p) => `"${p}"`).join(', ')} is not enabled`,
          `enable it in slipway.yaml (compose: { profiles: [${profiles[0]}] }), or mark the dependency required: false`,
          rc.depPos.get(`${s.name}/${d}`) ?? s.pos,
        );
      else
        rc.add(
          'error',
          'unknown-dependency',
          `services/${s.name}/depends_on/${d}`,
          `service "${s.name}" depends on "${d}", which is not defined`,
          `define a service "${d}" or remove it from depends_on`,
          rc.depPos.get(`${s.name}/${d}`) ?? s.pos,
        );
    }
    for (const v of s.volumes)
      if (v.kind === 'volume' && !volumes.has(v.source))
        rc.add(
          'warning',
          'undefined-volume',
          `services/${s.name}/volumes`,
          `volume "${v.source}" is not declared under the top-level "volumes:"`,
          `add "volumes: { ${v.source}: {} }" at the top level`,
          s.pos,
        );
    for (const n of s.networks)
      if (!networks.has(n) && n !== 'default')
        rc.add(
          'warning',
          'undefined-network',
          `services/${s.name}/networks`,
          `network "${n}" is not declared under the top-level "networks:"`,
          'networks are dropped on import anyway: Slipway gives each environment its own private network',
          s.pos,
        );
  }
}
