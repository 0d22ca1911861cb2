// bench/proxy-auth.ts — basic auth's cost on the real nginx and Caddy, before and after the change
// of docs/decisions.md ("Basic auth that does not starve the proxy"), in one run. Each proxy runs
// Slipway's rendered config for a public host (prod) and a basic-auth host (staging), in front of
// a static upstream, all on loopback; wrk drives the load.
//   before: bcrypt cost 8 for every password (nginx checks it on each request; Caddy caches a
//           verified password but checks an unknown user against its own cost-14 hash)
//   after:  a generated-strength password: nginx {SSHA}, Caddy bcrypt cost 4, and unknown users
//           answered 401 before Caddy's check
// Printed: req/s of prod (no auth) and of staging with the right password, and their ratio; then
// prod's req/s while as many other connections flood staging with wrong passwords, or with unknown
// users, as a ratio to prod's req/s while those connections send ordinary prod requests (1.000: a
// failed login costs the proxy no more than a request; below: what a hostile neighbour takes).
//   npx tsx bench/proxy-auth.ts [--seconds 3] [--connections 16] [--rounds 3]
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import bcrypt from 'bcryptjs';
import { basicAuthHash } from '../src/workflows/basic-auth-hash.ts';
import { Secret } from '../src/util/secret.ts';
import { AUTH_HOST, AUTH_USER, OPEN_HOST, type ProxyName, basicHeader, startProxy, startUpstream, status } from './lib/proxy-auth-rig.ts';
import { type WrkOptions, type WrkResult, wrk } from './lib/wrk.ts';

interface Variant {
  name: string;
  verifier: (name: string, pw: Secret, proxy: ProxyName) => string;
  withoutUserGuard: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'before: bcrypt cost 8', verifier: (_n, pw) => bcrypt.hashSync(pw.reveal(), 8), withoutUserGuard: true },
  { name: 'after: generated password', verifier: (n, pw, proxy) => basicAuthHash(n, pw, proxy), withoutUserGuard: false },
];

interface Figures {
  open: number;
  auth: number;
  besideOpen: number;
  underWrong: number;
  underUnknown: number;
}

interface Rig {
  proxy: ProxyName;
  variant: Variant;
  port: number;
  password: string;
  stop(): Promise<void>;
}

interface Options {
  seconds: number;
  connections: number;
  rounds: number;
}

function args(argv: string[]): Options {
  const out = { seconds: 3, connections: 16, rounds: 3 };
  for (let i = 0; i < argv.length; i += 2) {
    const v = Number(argv[i + 1]);
    if (argv[i] === '--seconds' && v > 0) out.seconds = v;
    else if (argv[i] === '--connections' && Number.isInteger(v) && v >= 2) out.connections = v;
    else if (argv[i] === '--rounds' && Number.isInteger(v) && v >= 1) out.rounds = v;
    else throw new Error(`usage: npx tsx bench/proxy-auth.ts [--seconds N] [--connections N] [--rounds N]; got ${argv[i]} ${argv[i + 1]}`);
  }
  return out;
}

async function start(proxy: ProxyName, variant: Variant, upstreamPort: number): Promise<Rig> {
  const password = randomBytes(24).toString('base64'); // what `openssl rand -base64 24` gives
  const secret = new Secret(password, 'basic-auth-staging');
  const running = await startProxy(
    { proxy, password: secret, verifier: (n, pw) => variant.verifier(n, pw, proxy), withoutUserGuard: variant.withoutUserGuard },
    upstreamPort,
  );
  const checks = [
    [await status(running.port, OPEN_HOST), 200],
    [await status(running.port, AUTH_HOST, basicHeader(AUTH_USER, password)), 200],
    [await status(running.port, AUTH_HOST, basicHeader(AUTH_USER, 'wrong')), 401],
    [await status(running.port, AUTH_HOST, basicHeader('nobody', 'wrong')), 401],
    [await status(running.port, AUTH_HOST), 401],
  ];
  if (checks.some(([got, want]) => got !== want)) {
    await running.stop();
    throw new Error(`${proxy} (${variant.name}) answers ${checks.map(([g]) => g).join(', ')}: ${running.logs()}`);
  }
  return { proxy, variant, port: running.port, password, stop: running.stop };
}

/**
 * Waits until the proxy answers prod at once again: requests a run left queued (each a bcrypt
 * check, for nginx) are still being worked off when wrk stops, and would slow the next run.
 */
async function settle(port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  let quick = 0;
  while (quick < 3 && Date.now() < deadline) {
    const t = performance.now();
    await status(port, OPEN_HOST);
    quick = performance.now() - t < 20 ? quick + 1 : 0;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One round of every measurement on `rig`, each started on an idle proxy. */
async function measure(rig: Rig, o: Options): Promise<Figures> {
  const { port } = rig;
  const { seconds, connections } = o;
  const half = Math.floor(connections / 2);
  const flood = (user: () => string) => Array.from({ length: 5000 }, () => basicHeader(user(), randomBytes(18).toString('base64')));
  await settle(port);
  await wrk({ port, host: OPEN_HOST, connections, seconds: 1 }); // warm-up
  const open = await wrk({ port, host: OPEN_HOST, connections, seconds });
  const auth = await wrk({ port, host: AUTH_HOST, connections, seconds, authorization: basicHeader(AUTH_USER, rig.password) });
  await settle(port);
  if (auth.non2xx > 0) throw new Error(`${rig.proxy} (${rig.variant.name}): ${auth.non2xx} refusals with the right password`);
  const beside = async (other: Omit<WrkOptions, 'port' | 'connections' | 'seconds'>): Promise<WrkResult> => {
    const [prod] = await Promise.all([
      wrk({ port, host: OPEN_HOST, connections: half, seconds }),
      wrk({ port, connections: connections - half, seconds, ...other }),
    ]);
    await settle(port);
    return prod;
  };
  const besideOpen = await beside({ host: OPEN_HOST });
  const underWrong = await beside({ host: AUTH_HOST, authorizations: flood(() => AUTH_USER) });
  const underUnknown = await beside({ host: AUTH_HOST, authorizations: flood(() => `u${randomBytes(4).toString('hex')}`) });
  return { open: open.rps, auth: auth.rps, besideOpen: besideOpen.rps, underWrong: underWrong.rps, underUnknown: underUnknown.rps };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (n: number): string => (n >= 100 ? Math.round(n).toString() : n.toFixed(1));

async function main(): Promise<void> {
  const o = args(process.argv.slice(2));
  const upstream = await startUpstream();
  const rigs: Rig[] = [];
  const rounds = new Map<Rig, Figures[]>();
  try {
    for (const proxy of ['nginx', 'caddy'] as const) for (const v of VARIANTS) rigs.push(await start(proxy, v, upstream.port));
    // Rounds interleave the variants, so a busy moment of the machine hits both alike; each ratio
    // is taken within one round, and the median over rounds is printed.
    for (let r = 0; r < o.rounds; r++) for (const rig of rigs) rounds.set(rig, [...(rounds.get(rig) ?? []), await measure(rig, o)]);
  } finally {
    for (const rig of rigs) await rig.stop();
    await upstream.stop();
  }
  const half = Math.floor(o.connections / 2);
  const rows: string[][] = [];
  for (const proxy of ['nginx', 'caddy'] as const) {
    const of = rigs.filter((r) => r.proxy === proxy).map((r) => rounds.get(r) ?? []);
    const value = (f: (x: Figures) => number) => of.map((fs) => fmt(median(fs.map(f))));
    const ratio = (f: (x: Figures) => number) => of.map((fs) => median(fs.map(f)).toFixed(3));
    rows.push(
      [proxy, 'prod, no auth: req/s', ...value((x) => x.open)],
      ['', 'staging, basic auth, right password: req/s', ...value((x) => x.auth)],
      ['', '  ratio auth / no auth', ...ratio((x) => x.auth / x.open)],
      ['', `prod on ${half} conns while ${o.connections - half} more ask prod: req/s`, ...value((x) => x.besideOpen)],
      ['', `  ratio when those ${o.connections - half} send wrong passwords to staging`, ...ratio((x) => x.underWrong / x.besideOpen)],
      ['', `  ratio when those ${o.connections - half} send unknown users to staging`, ...ratio((x) => x.underUnknown / x.besideOpen)],
    );
  }
  const head = ['proxy', `wrk, ${o.connections} keep-alive conns, ${o.seconds} s, median of ${o.rounds}`, ...VARIANTS.map((v) => v.name)];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

main().catch((e: unknown) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
