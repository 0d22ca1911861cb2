// bench/plan.ts — times desire + diff + render for a generated fleet of 50 apps × 4 envs ×
// 5 processes over 5 servers (1,000 containers) and again at 10× that (10,000 containers), in
// one run. Prints the time per container at each size and the growth ratio between them
// (1.0 = perfectly linear). Target: well under 1 ms per container, ratio near 1.
//   npx tsx bench/plan.ts
import { performance } from 'node:perf_hooks';
import { loadFleet } from '../src/config/load.ts';
import { desire } from '../src/plan/desire/desire.ts';
import { diff } from '../src/plan/diff/diff.ts';
import { emptyObserved } from '../src/plan/diff/observed.ts';
import { renderAll } from '../src/render/all.ts';

function fleetYaml(apps: number, servers: number): string {
  const envs = ['dev', 'staging', 'qual', 'prod'];
  const lines = ['project: bench', 'servers:'];
  for (let s = 0; s < servers; s++) lines.push(`  s${s}: { ssh: deploy@203.0.113.${10 + s}, memory: 4096GiB, cpus: 512 }`);
  lines.push('environments:');
  envs.forEach((e, i) => lines.push(`  ${e}: { server: s${i % servers}, domain: "{app}-${e}.example.com", auth: basic }`));
  lines.push('services:', '  postgres: { image: postgres:17, scope: environment }', '  redis: { image: redis:7, scope: environment }', 'apps:');
  for (let a = 0; a < apps; a++) {
    lines.push(`  app${a}:`, `    image: app${a}:1`, `    placement: { ${envs.map((e) => `${e}: s${(a + envs.indexOf(e)) % servers}`).join(', ')} }`);
    if (a % 40 === 0) lines.push('    uses: [postgres, redis]');
    lines.push('    env: { MODE: { prod: production, default: development } }', '    processes:');
    lines.push('      web: { command: "node server.js", port: 8000, health: /health, memory: 256MiB }');
    for (let p = 1; p < 5; p++) lines.push(`      worker${p}: { command: "node worker.js ${p}", memory: 128MiB }`);
  }
  return `${lines.join('\n')}\n`;
}

function measure(apps: number, servers: number) {
  const loaded = loadFleet('bench.yaml', { text: fleetYaml(apps, servers) });
  if (!loaded.fleet) throw new Error(`generated fleet is invalid: ${JSON.stringify(loaded.diagnostics.slice(0, 3))}`);
  const fleet = loaded.fleet;
  const runs = 5;
  let best = Infinity;
  let containers = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const desired = desire(fleet);
    const plan = diff(desired, emptyObserved(fleet.project));
    const files = renderAll(fleet, desired, ['compose', 'nginx', 'caddy', 'sql']);
    const t = performance.now() - t0;
    best = Math.min(best, t);
    containers = desired.servers.reduce((n, s) => n + s.containers.filter((c) => c.role === 'app').length, 0);
    if (plan.actions.length === 0 || files.length === 0) throw new Error('empty plan');
  }
  return { containers, ms: best, perContainerMs: best / containers };
}

measure(10, 5); // warm-up (JIT)
const small = measure(50, 5);
const large = measure(500, 5);
const ratio = large.perContainerMs / small.perContainerMs;
console.log('desire + diff + render (best of 5 runs)');
console.log(`  ${String(small.containers).padStart(6)} containers: ${small.ms.toFixed(1)} ms total, ${(small.perContainerMs * 1000).toFixed(1)} µs/container`);
console.log(`  ${String(large.containers).padStart(6)} containers: ${large.ms.toFixed(1)} ms total, ${(large.perContainerMs * 1000).toFixed(1)} µs/container`);
console.log(`growth ratio (per-container time at 10× ÷ at 1×): ${ratio.toFixed(2)}  (1.00 = linear)`);
console.log(
  `target: < 1 ms/container → ${large.perContainerMs < 1 && small.perContainerMs < 1 ? 'met' : 'NOT met'}; linear growth → ${ratio < 1.5 ? 'met' : 'NOT met'}`,
);
