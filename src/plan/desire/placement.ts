// Placement: which app runs in which env on which server, and where each shared-service
// instance lives and who uses it. Everything else in desire is derived from these lists.
import type { App, AppEnv, Environment, Fleet, SharedService } from '../../config/fleet.ts';
import { serviceContainerName, serviceKey } from '../../model/names.ts';

/** One app in one env, on the server it runs on. */
export interface Placement {
  app: App;
  env: Environment;
  appEnv: AppEnv;
  server: string;
}

/** One running instance of a shared service. */
export interface ServiceInstance {
  service: SharedService;
  server: string;
  /** Set for environment-scoped instances. */
  env?: string;
  key: string;
  name: string;
  /** Envs whose private network the instance joins, in fleet env order. */
  envs: string[];
  /** Apps that use it, env order then app order. */
  users: Placement[];
}

/** Every (app, env) that runs, ordered by env order in the file, then app order. */
export function placements(fleet: Fleet): Placement[] {
  const out: Placement[] = [];
  for (const env of fleet.environments) {
    for (const app of fleet.apps) {
      const appEnv = app.perEnv[env.name];
      if (!appEnv || !app.environments.includes(env.name)) continue;
      out.push({ app, env, appEnv, server: appEnv.server || env.server });
    }
  }
  return out;
}

/** Envs with anything on this server (their own server, or an app placed here), fleet order. */
export function envsOnServer(fleet: Fleet, server: string, ps: readonly Placement[], instances: readonly ServiceInstance[]): Environment[] {
  return fleet.environments.filter(
    (e) =>
      e.server === server ||
      ps.some((p) => p.server === server && p.env.name === e.name) ||
      instances.some((i) => i.server === server && i.envs.includes(e.name)),
  );
}

export function serviceInstances(fleet: Fleet, ps: readonly Placement[]): ServiceInstance[] {
  const out: ServiceInstance[] = [];
  for (const service of fleet.services) {
    const users = ps.filter((p) => p.app.uses.includes(service.name));
    if (service.scope === 'server') {
      for (const server of fleet.servers) {
        const here = users.filter((u) => u.server === server.name);
        if (here.length === 0) continue;
        out.push({
          service,
          server: server.name,
          key: serviceKey(service.name),
          name: serviceContainerName(fleet.project, service.name),
          envs: uniq(here.map((u) => u.env.name)),
          users: here,
        });
      }
    } else {
      for (const env of fleet.environments) {
        const here = users.filter((u) => u.env.name === env.name);
        if (here.length === 0) continue;
        const server = here.some((u) => u.server === env.server) ? env.server : here[0]!.server;
        out.push({
          service,
          server,
          env: env.name,
          key: serviceKey(service.name, env.name),
          name: serviceContainerName(fleet.project, service.name, env.name),
          envs: [env.name],
          users: here,
        });
      }
    }
  }
  return out;
}

/** The instance of `service` an app reaches from this placement. */
export function instanceFor(instances: readonly ServiceInstance[], service: string, p: Placement): ServiceInstance | undefined {
  return instances.find((i) => i.service.name === service && (i.service.scope === 'server' ? i.server === p.server : i.env === p.env.name));
}

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
