// bench/lib/deploy-cli-clock.mjs — preloaded into the `slipway` child by bench/deploy.ts
// (`node --import ./deploy-cli-clock.mjs bin/slipway.mjs …`) to split its wall time without
// touching src/: when node had booted (this file runs), when the first and last Engine API
// requests went out / came back, and when the process exited. Plain JS so it needs no loader.
// On exit it writes one stderr line: `slipway-clock {json}` (epoch ms, comparable across processes).
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const now = () => performance.timeOrigin + performance.now();
const clock = { boot: now(), firstApi: 0, lastApiEnd: 0, apiCalls: 0, exit: 0 };
const request = http.request;
http.request = function (...args) {
  const req = request.apply(this, args);
  const opts = args.find((a) => a && typeof a === 'object' && !(a instanceof URL));
  if (opts?.socketPath) {
    clock.apiCalls++;
    if (!clock.firstApi) clock.firstApi = now();
    req.once('response', (res) => res.once('end', () => (clock.lastApiEnd = now())));
    req.once('close', () => (clock.lastApiEnd = Math.max(clock.lastApiEnd, now())));
  }
  return req;
};
process.once('exit', () => {
  clock.exit = now();
  process.stderr.write(`slipway-clock ${JSON.stringify(clock)}\n`);
});
