// bench/lib/deploy-load-child.ts — runs bench/lib/load.ts's startLoad in its own process for
// bench/deploy.ts, so the load's event loop never delays the in-process floor's timings. Prints
// `ready` once every connection has opened its socket, then `fail EPOCH_MS KIND COUNT` whenever a
// failure counter grows (checked every 10 ms, so failures can be placed on a deploy's timeline);
// on SIGINT (or stdin closing) stops and prints the LoadReport as one JSON line.
//   node --import tsx bench/lib/deploy-load-child.ts URL HOST CONNECTIONS
import { performance } from 'node:perf_hooks';
import { startLoad, type LoadReport } from './load.ts';

const [url, host, connections] = process.argv.slice(2);
if (!url || !host) {
  process.stderr.write('usage: deploy-load-child.ts URL HOST [CONNECTIONS]\n');
  process.exit(2);
}
const n = Number(connections ?? 20);
const load = startLoad({ url, host, connections: n, keepAlive: true });
const counters = (r: LoadReport): Record<string, number> => ({
  non2xx: Object.values(r.non2xx).reduce((a, b) => a + b, 0),
  connect: r.connectErrors,
  read: r.readErrors,
  timeout: r.timeouts,
});
let isReady = false;
let last = counters(load.snapshot());
const ready = setInterval(() => {
  const snap = load.snapshot();
  if (!isReady && snap.socketsOpened >= n) {
    isReady = true;
    process.stdout.write('ready\n');
  }
  const now = counters(snap);
  for (const [kind, count] of Object.entries(now)) {
    if (count > (last[kind] ?? 0))
      process.stdout.write(`fail ${(performance.timeOrigin + performance.now()).toFixed(1)} ${kind} ${count - (last[kind] ?? 0)}\n`);
  }
  last = now;
}, 10);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  clearInterval(ready);
  const report = await load.stop();
  process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
};
process.on('SIGINT', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();
