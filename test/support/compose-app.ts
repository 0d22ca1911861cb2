// A compose app in a fresh git repository (slipway.yaml, docker-compose.yml, Dockerfiles), loaded
// through the real loader, and a ServerRun for it on a FakeEngine (fake clock, fake health dialer),
// for workflow tests of compose semantics: stateful processes, depends_on conditions, tasks, builds.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { loadFleet } from '../../src/config/load.ts';
import type { Fleet } from '../../src/config/fleet.ts';
import type { ServerConnection } from '../../src/engine/connection.ts';
import type { Dialer } from '../../src/engine/dialer.ts';
import { FakeEngine } from '../../src/engine/fake-engine.ts';
import { desire } from '../../src/plan/desire/desire.ts';
import { createReporter } from '../../src/workflows/reporter.ts';
import { serverRun, type ServerRun } from '../../src/workflows/server-run.ts';
import { upServer } from '../../src/workflows/up.ts';

/** Writes `files` into a new git repository and commits them; returns its directory and commit. */
export function gitRepo(files: Record<string, string>, prefix = 'slipway-compose-app-'): { dir: string; commit: (more: Record<string, string>) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dir, '-c', 'user.email=test@example.com', '-c', 'user.name=test', '-c', 'commit.gpgsign=false', ...args], {
      encoding: 'utf8',
    }).trim();
  git('init', '-q', '-b', 'main');
  const commit = (more: Record<string, string>) => {
    for (const [name, text] of Object.entries(more)) writeFileSync(join(dir, name), text);
    git('add', '-A');
    git('commit', '-q', '-m', 'change', '--allow-empty');
    return git('rev-parse', 'HEAD');
  };
  commit(files);
  return { dir, commit };
}

/** A stream that answers any request with one HTTP status line. */
function answering(status: () => number): Duplex {
  return new Duplex({
    read() {},
    write(_chunk, _enc, cb) {
      this.push(`HTTP/1.1 ${status()} X\r\nContent-Length: 0\r\n\r\n`);
      cb();
    },
  });
}

export interface FakeComposeWorld {
  fleet: Fleet;
  fake: FakeEngine;
  run: ServerRun;
  /** Fake clock (ms); sleeps advance it and call `onSleep`. */
  clock: { t: number };
  onSleep: ((ms: number) => void) | undefined;
  /** Loads the fleet file again (after the repository changed) into a new run on the same engine. */
  reload(): ServerRun;
}

export function loadFleetAt(dir: string): Fleet {
  const loaded = loadFleet(join(dir, 'slipway.yaml'));
  if (!loaded.fleet) throw new Error(JSON.stringify(loaded.diagnostics, null, 2));
  return loaded.fleet;
}

/** A world for the fleet in `dir`, its infrastructure up; tasks (role release-task) exit 0 unless a test says otherwise. */
export async function fakeComposeWorld(dir: string, images: string[]): Promise<FakeComposeWorld> {
  const fake = new FakeEngine('local', { images: ['caddy:2', ...images] });
  fake.onStart((c) => c.spec.labels['slipway.role'] === 'release-task', { exitCode: 0 });
  const clock = { t: Date.UTC(2025, 0, 1) };
  const now = () => clock.t;
  const dialer: Dialer = { dial: async () => answering(() => 200) };
  const w: FakeComposeWorld = {
    fleet: loadFleetAt(dir),
    fake,
    clock,
    onSleep: undefined,
    run: undefined as unknown as ServerRun,
    reload: () => {
      w.fleet = loadFleetAt(dir);
      const conn: ServerConnection = { server: w.fleet.servers[0]!, engine: fake, dialer, close: async () => {} };
      w.run = {
        ...serverRun(w.fleet, desire(w.fleet), conn, createReporter(null, now), now),
        sleep: async (ms) => {
          clock.t += ms;
          w.onSleep?.(ms);
        },
      };
      return w.run;
    },
  };
  w.reload();
  await upServer(w.run);
  fake.clearTranscript();
  return w;
}
