import { connectSsh, sshExec } from '../src/engine/ssh-connect.ts';
const H = '/tmp/slipway-harness';
const server = { name: 'hostA', transport: { kind: 'ssh' as const, user: 'root', host: '10.200.0.2', port: 22, identity: `${H}/ssh/id_ed25519` }, proxy: 'caddy' as const, httpPort: 80 };
const t0 = Date.now();
const c = await connectSsh(server, { knownHostsPath: `${H}/ssh/known_hosts` });
console.log('connected ms', Date.now() - t0);
console.log(await c.engine.info());
const t1 = Date.now(); for (let i = 0; i < 20; i++) await c.engine.ping(); console.log('ping avg', (Date.now() - t1) / 20);
console.log(await sshExec(c, ['sh', '-c', 'echo "$1"; hostname; echo err >&2; exit 3', 'x', "it's a test"]));
console.log(await sshExec(c, ['cat'], { stdin: 'hello stdin' }));
await c.close();
try { await c.engine.ping(); } catch (e) { console.log('after close:', (e as Error).message); }
