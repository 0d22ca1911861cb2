// Host paths bound into containers that hand over the server: the Docker socket. Whoever reaches
// it can start a privileged container, so controls the server and every environment on it (a
// read-only bind does not help: the socket still takes every API call).
import type { ContainerSpec } from '../desire/desired.ts';
import type { CheckRule } from './context.ts';
import { finding, type Finding } from './finding.ts';

/** `/var/run/docker.sock`, `/run/docker.sock`, or any other `docker.sock`. */
export const isDockerSocket = (path: string): boolean => /(^|\/)docker\.sock$/.test(path.replace(/\/+$/, ''));

const owner = (c: ContainerSpec): string => (c.role === 'app' ? `${c.app}/${c.env}/${c.process}` : c.key);

export const checkDockerSocket: CheckRule = ({ desired }) => {
  const out: Finding[] = [];
  for (const s of desired.servers) {
    const seen = new Set<string>();
    for (const c of s.containers) {
      const socket = (c.binds ?? []).find((b) => !b.repo && isDockerSocket(b.source));
      const who = owner(c);
      if (!socket || seen.has(who)) continue; // one finding per process, not per replica
      seen.add(who);
      out.push(
        finding({
          severity: 'warning',
          code: 'docker-socket',
          server: s.server,
          subject: who,
          ...(c.env ? { env: c.env } : {}),
          ...(c.app ? { app: c.app } : {}),
          message: `${who} mounts the Docker socket (${socket.source}) on ${s.server}: it can start privileged containers, so whoever controls it controls the server and every environment on it${socket.readOnly ? ' (read-only does not help: the socket still takes every API call)' : ''}`,
          hint: 'remove the mount if the service does not manage containers; otherwise give it a socket proxy that allows only the calls it needs (e.g. read-only listing), and keep it out of non-production servers shared with prod',
        }),
      );
    }
  }
  return out;
};
