// A service's `ports` (short `[IP:]HOST:CONTAINER[/proto]` and long syntax) and `expose`. Published
// host ports are noted, never published: Slipway's proxy routes to the container port.
import { isMap, isSeq, type Node } from './compose-tree.ts';
import type { ReadContext } from './read-context.ts';
import { portNumber, str } from './read-scalars.ts';
import type { ComposePort } from './types.ts';

export function readPorts(rc: ReadContext, n: Node | null, path: string): ComposePort[] {
  const node = rc.deref(n);
  if (!isSeq(node)) {
    rc.badType(n, path, 'a list of ports ("8080:3000")');
    return [];
  }
  const out: ComposePort[] = [];
  node.items.forEach((item, i) => {
    const p = `${path}/${i}`;
    const d = rc.deref(item as Node);
    let port: ComposePort | undefined;
    if (isMap(d)) {
      let target: number | undefined;
      let published: string | undefined;
      let hostIp: string | undefined;
      let protocol: 'tcp' | 'udp' = 'tcp';
      for (const e of rc.entries(d, p)) {
        if (e.key === 'target') target = portNumber(rc, e.value, `${p}/target`);
        else if (e.key === 'published') published = str(rc, e.value, `${p}/published`);
        else if (e.key === 'host_ip') hostIp = str(rc, e.value, `${p}/host_ip`);
        else if (e.key === 'protocol') protocol = str(rc, e.value, `${p}/protocol`) === 'udp' ? 'udp' : 'tcp';
        else if (e.key !== 'mode' && e.key !== 'name' && e.key !== 'app_protocol') rc.unsupported(e, `${p}/${e.key}`, `port "${e.key}" is not supported`);
      }
      if (target === undefined) {
        rc.add('error', 'bad-port', p, 'a long-syntax port needs "target"', 'add target: CONTAINER_PORT', rc.pos(d));
        return;
      }
      port = { container: target, protocol, ...(published !== undefined ? { published: hostIp ? `${hostIp}:${published}` : published } : {}) };
    } else {
      const s = str(rc, d, p);
      if (s === undefined) return;
      port = parseShortPort(s);
      if (!port) {
        rc.add(
          'error',
          'bad-port',
          p,
          `"${s}" is not a port mapping`,
          'write "CONTAINER", "HOST:CONTAINER" or "IP:HOST:CONTAINER", e.g. "8080:3000"',
          rc.pos(d),
        );
        return;
      }
    }
    out.push(port);
    if (port.published !== undefined)
      rc.add(
        'info',
        'port-not-published',
        p,
        `port ${port.published}:${port.container} is not published on the server; Slipway's proxy routes to container port ${port.container} instead`,
        'reach it through the proxy, or with "slipway exec"/a tunnel for non-HTTP ports',
        rc.pos(d),
      );
  });
  return out;
}

export function readExpose(rc: ReadContext, n: Node | null, path: string): number[] {
  const node = rc.deref(n);
  if (!isSeq(node)) {
    rc.badType(n, path, 'a list of container ports');
    return [];
  }
  const out: number[] = [];
  node.items.forEach((item, i) => {
    const s = str(rc, item as Node, `${path}/${i}`);
    if (s === undefined) return;
    const m = /^(\d+)(?:-\d+)?(?:\/(tcp|udp))?$/.exec(s.trim());
    const n = m ? Number(m[1]) : NaN;
    if (!m || n < 1 || n > 65535)
      rc.add('error', 'bad-port', `${path}/${i}`, `"${s}" is not a port`, 'write a container port such as 3000', rc.pos(item as Node));
    else out.push(n);
  });
  return out;
}

/** `3000`, `8080:3000`, `127.0.0.1:8080:3000`, `[::1]:8080:3000`, `3000/udp`, `3000-3005`. */
export function parseShortPort(text: string): ComposePort | undefined {
  let s = text.trim();
  let protocol: 'tcp' | 'udp' = 'tcp';
  const slash = s.lastIndexOf('/');
  if (slash >= 0) {
    const proto = s.slice(slash + 1);
    if (proto !== 'tcp' && proto !== 'udp') return undefined;
    protocol = proto;
    s = s.slice(0, slash);
  }
  const colon = s.lastIndexOf(':');
  const containerText = colon >= 0 ? s.slice(colon + 1) : s;
  const published = colon >= 0 ? s.slice(0, colon) : undefined;
  const m = /^(\d+)(?:-(\d+))?$/.exec(containerText);
  if (!m) return undefined;
  const container = Number(m[1]);
  if (container < 1 || container > 65535) return undefined;
  if (published !== undefined && !/^(?:(?:\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(?:\d+(?:-\d+)?)?$/.test(published)) return undefined;
  return { container, protocol, ...(published ? { published } : {}) };
}
