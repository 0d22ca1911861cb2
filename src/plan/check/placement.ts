// Placement rules: apps that call each other must share a server in each env (private networks
// do not span servers), an app must reach its env-scoped services, and singletons run once.
import { instanceFor, placements, serviceInstances } from '../desire/placement.ts';
import { processReferences } from '../../model/interpolate.ts';
import type { CheckRule } from './context.ts';
import { finding, type Finding } from './finding.ts';

export const checkCrossServer: CheckRule = ({ fleet }) => {
  const ps = placements(fleet);
  const out: Finding[] = [];
  for (const p of ps) {
    const callees = new Map<string, string>(); // app -> why
    for (const d of p.app.dependsOn) if (!callees.has(d)) callees.set(d, 'depends_on');
    for (const r of processReferences(fleet, p.app.name, p.env.name)) {
      if (!callees.has(r.app)) callees.set(r.app, `\${${r.app}.${r.process}} in ${r.key}`);
    }
    for (const [callee, why] of callees) {
      if (callee === p.app.name) continue;
      const q = ps.find((x) => x.app.name === callee && x.env.name === p.env.name);
      if (!q || q.server === p.server) continue;
      out.push(
        finding({
          severity: 'error',
          code: 'cross-server-dependency',
          server: p.server,
          env: p.env.name,
          app: p.app.name,
          subject: `${p.app.name}/${p.env.name}->${callee}`,
          message: `${p.app.name} (on ${p.server}) calls ${callee} (on ${q.server}) in ${p.env.name} (${why}), but private networks do not span servers`,
          hint: `place ${p.app.name} and ${callee} on the same server in ${p.env.name}`,
        }),
      );
    }
  }
  const instances = serviceInstances(fleet, ps);
  for (const p of ps) {
    for (const name of p.app.uses) {
      const inst = instanceFor(instances, name, p);
      if (!inst || inst.server === p.server) continue;
      out.push(
        finding({
          severity: 'error',
          code: 'cross-server-service',
          server: p.server,
          env: p.env.name,
          app: p.app.name,
          subject: `${p.app.name}/${p.env.name}->${name}`,
          message: `${p.app.name} (on ${p.server}) uses ${name}, whose ${p.env.name} instance runs on ${inst.server}: it cannot reach it`,
          hint: `place every app of ${p.env.name} that uses ${name} on one server, or set \`scope: server\` on ${name}`,
        }),
      );
    }
  }
  return out;
};

export const checkSingletons: CheckRule = ({ fleet }) => {
  const out: Finding[] = [];
  for (const p of placements(fleet)) {
    for (const proc of p.appEnv.processes) {
      if (!proc.singleton || proc.replicas <= 1) continue;
      out.push(
        finding({
          severity: 'error',
          code: 'singleton-replicas',
          server: p.server,
          env: p.env.name,
          app: p.app.name,
          subject: `${p.app.name}/${p.env.name}/${proc.name}`,
          message: `${p.app.name}/${proc.name} is a singleton but has ${proc.replicas} replicas in ${p.env.name}: it would run ${proc.replicas} times (e.g. a scheduler firing every job twice)`,
          hint: `set \`replicas: 1\` on ${proc.name}, or drop \`singleton\``,
        }),
      );
    }
  }
  return out;
};
