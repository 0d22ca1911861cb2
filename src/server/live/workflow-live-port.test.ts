// The real LivePort over the workflows on FakeEngines: a deploy job's output is the workflow's
// progress and its release record names the API's user; the releases list; a log follow that the
// transport never ends after destroy (the known SSH gap) still returns, and closes its session,
// soon after the client leaves; a follow whose containers stop follows the new ones.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { deployWith, fakeWorld, upAll } from '../../../test/support/fake-session.ts';
import type { ServerConnection } from '../../engine/connection.ts';
import type { LiveLogLine } from './live-port.ts';
import { createWorkflowLivePort } from './workflow-live-port.ts';

type Follow = (id: string) => Readable;

async function world(follow?: Follow) {
  const w = await fakeWorld();
  await upAll(w);
  await deployWith(w, 'web', 'staging');
  let closed = 0;
  const port = createWorkflowLivePort({
    loadFleet: async () => w.fleet,
    now: () => w.clock.t,
    env: {},
    cwd: '/srv/acme',
    switching: { drainMs: 0 },
    refollowMs: 1,
    idleMs: 1,
    abandonMs: 5,
    connector: async (server): Promise<ServerConnection> => {
      const engine = w.engines.get(server.name)!;
      const wrapped = new Proxy(engine, {
        get(target, key, receiver) {
          if (key === 'containerLogs' && follow)
            return async (id: string, opts: { follow?: boolean }) => (opts.follow ? follow(id) : target.containerLogs(id, opts as { follow?: false }));
          const v = Reflect.get(target, key, receiver);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      const dialer = w.session.connections.find((c) => c.server.name === server.name)!.dialer;
      return { server, engine: wrapped, dialer, close: async () => void closed++ };
    },
  });
  return { w, port, closed: () => closed };
}

describe('the workflow LivePort', () => {
  it("runs deploy as the CLI does: its progress goes to the job's output; the record names the API's user", async () => {
    const { w, port } = await world();
    const out: string[] = [];
    const result = (await port.deploy({ app: 'web', env: 'staging', image: 'acme/web:v1', by: 'alice' }, { write: (t) => void out.push(t) })) as {
      release: string;
    };
    expect(out.join('')).toMatch(/→ .*\n/);
    const views = await port.releases({ app: 'web', env: 'staging' });
    expect(views[0]).toMatchObject({ id: result.release, current: true, by: 'alice via slipway serve', changes: {} });
    expect(views).toHaveLength(2);
    expect(w.fleet.apps[0]!.source.kind).toBe('image');
  });

  it('returns soon after the client leaves even when a destroyed log stream never closes, and closes its session', async () => {
    // The SSH gap: destroy() that never finishes (no 'close').
    const stuck: Follow = () => {
      const r = new Readable({ read() {} });
      r._destroy = () => undefined;
      r.push('hello\n');
      return r;
    };
    const { port, closed } = await world(stuck);
    const lines: LiveLogLine[] = [];
    const leave = new AbortController();
    let ready = false;
    const following = port.followLogs(
      { app: 'web', env: 'staging', process: 'web', tail: 10 },
      {
        onReady: () => (ready = true),
        onLine: (l) => {
          lines.push(l);
          leave.abort();
        },
      },
      leave.signal,
    );
    await following;
    expect(ready).toBe(true);
    expect(lines[0]).toMatchObject({ process: 'web', text: 'hello' });
    expect(port.stats().logSessions).toBe(0);
    expect(closed()).toBe(1);
  });

  it('follows the running containers again when the followed ones stop', async () => {
    let n = 0;
    const ending: Follow = () => Readable.from([Buffer.from(`line ${++n}\n`)]);
    const { port } = await world(ending);
    const leave = new AbortController();
    const seen: string[] = [];
    await port.followLogs(
      { app: 'web', env: 'staging', process: 'web', tail: 1 },
      {
        onReady: () => undefined,
        onLine: (l) => void seen.push(l.text),
        onInfo: (t) => {
          seen.push(`info: ${t}`);
          if (seen.length >= 4) leave.abort();
        },
      },
      leave.signal,
    );
    expect(seen.slice(0, 4)).toEqual([
      'line 1',
      'info: the containers stopped; following the running ones',
      'line 2',
      'info: the containers stopped; following the running ones',
    ]);
  });

  it('refuses before it is ready when nothing runs, or for a process the app does not have', async () => {
    const { port } = await world();
    const h = { onReady: () => undefined, onLine: () => undefined };
    await expect(port.followLogs({ app: 'web', env: 'prod', tail: 1 }, h, new AbortController().signal)).rejects.toThrow('no running container of web in prod');
    await expect(port.followLogs({ app: 'web', env: 'staging', process: 'cron', tail: 1 }, h, new AbortController().signal)).rejects.toThrow(
      'web has no process cron in staging',
    );
    expect(port.stats().logSessions).toBe(0);
  });
});
