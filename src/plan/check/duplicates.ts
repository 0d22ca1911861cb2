// Duplicate names: containers, volumes, networks and aliases per server, published host ports
// per server, and domains across the whole fleet. Generated names can collide (app `a-b` in env
// `c` and app `a` in env `b-c`; a service called `proxy`), so desire keeps them and we report.
import type { ContainerSpec } from '../desire/desired.ts';
import type { CheckRule } from './context.ts';
import { finding, type Finding } from './finding.ts';
import { LABELS } from '../../model/labels.ts';

const owner = (c: ContainerSpec): string => (c.role === 'app' ? `${c.app}/${c.env}/${c.process}` : c.key);

function groups<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    m.set(k, [...(m.get(k) ?? []), x]);
  }
  return m;
}

export const checkDuplicateNames: CheckRule = ({ desired }) => {
  const out: Finding[] = [];
  for (const s of desired.servers) {
    for (const [name, cs] of groups(s.containers, (c) => c.name)) {
      if (cs.length < 2) continue;
      out.push(
        finding({
          severity: 'error',
          code: 'duplicate-container-name',
          server: s.server,
          subject: name,
          message: `container name ${name} on ${s.server} is generated for ${cs.map((c) => c.key).join(', ')}`,
          hint: 'rename an app, process, environment or service so the generated names differ',
        }),
      );
    }
    for (const [name, vs] of groups(s.volumes, (v) => v.name)) {
      if (vs.length < 2) continue;
      const owners = vs.map((v) =>
        Object.entries(v.labels)
          .filter(([k]) => k !== LABELS.project)
          .map(([, x]) => x)
          .join('/'),
      );
      out.push(
        finding({
          severity: 'error',
          code: 'duplicate-volume-name',
          server: s.server,
          subject: name,
          message: `volume name ${name} on ${s.server} belongs to ${owners.join(' and ')}: they would share data`,
          hint: 'rename a volume, app, environment or service so the generated names differ',
        }),
      );
    }
    for (const [name, ns] of groups(s.networks, (n) => n.name)) {
      if (ns.length < 2) continue;
      out.push(
        finding({
          severity: 'error',
          code: 'duplicate-network-name',
          server: s.server,
          subject: name,
          message: `network name ${name} on ${s.server} is generated for ${ns.map((n) => `the ${n.purpose} network of ${n.env}`).join(' and ')}`,
          hint: 'rename an environment so its network names differ (e.g. `prod` and `prod-edge` collide)',
        }),
      );
    }
    const byAlias = new Map<string, Set<string>>();
    for (const c of s.containers) {
      for (const n of c.networks)
        for (const a of n.aliases) {
          const k = `${n.network} ${a}`;
          byAlias.set(k, (byAlias.get(k) ?? new Set()).add(owner(c)));
        }
    }
    for (const [k, owners] of byAlias) {
      if (owners.size < 2) continue;
      const [network, alias] = k.split(' ') as [string, string];
      out.push(
        finding({
          severity: 'error',
          code: 'duplicate-alias',
          server: s.server,
          subject: alias,
          message: `alias ${alias} on network ${network} (${s.server}) answers for ${[...owners].join(' and ')}: DNS would pick one at random`,
          hint: 'rename an app, process or service so their aliases differ',
        }),
      );
    }
    const ports: { port: string; key: string }[] = [];
    for (const c of s.containers) for (const p of c.publish) ports.push({ port: hostPort(p), key: c.key });
    for (const [port, ps] of groups(ports, (p) => p.port)) {
      if (ps.length < 2) continue;
      out.push(
        finding({
          severity: 'error',
          code: 'duplicate-host-port',
          server: s.server,
          subject: `${s.server}:${port}`,
          message: `host port ${port} on ${s.server} is published by ${ps.map((p) => p.key).join(', ')}`,
          hint: 'give the server distinct http_port and https_port',
        }),
      );
    }
  }
  return out;
};

/** `8080:80` -> `8080`; `127.0.0.1:8080:80` -> `127.0.0.1:8080`. */
function hostPort(publish: string): string {
  const parts = publish.split(':');
  return parts.slice(0, -1).join(':') || publish;
}

export const checkDuplicateDomains: CheckRule = ({ desired }) => {
  const routes = desired.servers.flatMap((s) => s.routes.map((r) => ({ ...r, server: s.server })));
  const out: Finding[] = [];
  for (const [host, rs] of groups(routes, (r) => r.host.toLowerCase())) {
    if (rs.length < 2) continue;
    const who = [...new Set(rs.map((r) => `${r.app}/${r.env} on ${r.server}`))];
    out.push(
      finding({
        severity: 'error',
        code: 'duplicate-domain',
        subject: host,
        message: `domain ${host} is routed ${rs.length} times: ${who.join(', ')}`,
        hint: 'each domain may route to one app in one environment; check the domain patterns of the environments',
      }),
    );
  }
  return out;
};
