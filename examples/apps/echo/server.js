// echo — the tiny HTTP app every Slipway example deploys. No dependencies.
//
//   node server.js            HTTP on $PORT (default 8000); MODE=worker runs a heartbeat instead
//   node server.js release    release command: exits 0, or 1 when FAIL_RELEASE=1 (alias: migrate)
//
// Routes: /                       JSON {app, env, release, process, hostname, ...}; text with
//                                 ?format=text or Accept: text/plain
//         /health, /api/health[/] 200, or 503 when FAIL_HEALTH=1
//         /probe?host=h&port=p    DNS lookup + TCP connect from inside the container (isolation)
//         /sleep?ms=n             answers after n ms (in-flight requests during a stop)
// Env: SLIPWAY_APP|APP_NAME, SLIPWAY_ENV|APP_ENV, SLIPWAY_PROCESS, SLIPWAY_RELEASE|APP_RELEASE
// (APP_RELEASE is baked from the RELEASE build arg), PORT, HOST, MODE, HEARTBEAT_MS, SLEEP_MS.
// SIGTERM/SIGINT: stop accepting, finish in-flight requests, exit 0 (so `docker stop` is fast).
'use strict';
const http = require('node:http');
const net = require('node:net');
const dns = require('node:dns');
const os = require('node:os');

const env = process.env;
const info = () => ({
  app: env.SLIPWAY_APP || env.APP_NAME || 'echo',
  env: env.SLIPWAY_ENV || env.APP_ENV || 'unknown',
  process: env.SLIPWAY_PROCESS || env.MODE || 'web',
  release: env.SLIPWAY_RELEASE || env.APP_RELEASE || 'dev',
  hostname: os.hostname(),
  pid: process.pid,
});
const log = (msg) => console.log(`${new Date().toISOString()} ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function releaseCommand(name) {
  const i = info();
  log(`${name}: ${i.app} ${i.env} release ${i.release}`);
  if (Number(env.SLEEP_MS) > 0) await sleep(Number(env.SLEEP_MS));
  if (env.FAIL_RELEASE === '1') { console.error(`${name}: failed (FAIL_RELEASE=1)`); process.exit(1); }
  log(`${name}: ok`);
  process.exit(0);
}

function probe(host, port, timeoutMs) {
  const started = Date.now();
  const result = { host, port, dns: null, tcp: null };
  return new Promise((resolve) => {
    dns.lookup(host, (err, address) => {
      result.dns = err ? { ok: false, error: err.code || err.message } : { ok: true, address };
      if (!port) return resolve(result);
      const sock = net.connect({ host: err ? host : address, port, timeout: timeoutMs });
      const done = (tcp) => { sock.destroy(); result.tcp = { ...tcp, ms: Date.now() - started }; resolve(result); };
      sock.once('connect', () => done({ ok: true }));
      sock.once('timeout', () => done({ ok: false, error: 'ETIMEDOUT' }));
      sock.once('error', (e) => done({ ok: false, error: e.code || e.message }));
    });
  });
}

function send(res, status, body, asText) {
  const text = asText ? Object.entries(body).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ') + '\n' : JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': asText ? 'text/plain' : 'application/json' });
  res.end(text);
}

function web() {
  let stopping = false;
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url || '/', 'http://x');
    const asText = url.searchParams.get('format') === 'text' || /^text\/plain/.test(req.headers.accept || '');
    if (stopping) res.setHeader('connection', 'close');
    const path = url.pathname;
    if (path === '/health' || path === '/api/health' || path === '/api/health/' || path === '/healthz') {
      const ok = env.FAIL_HEALTH !== '1';
      return send(res, ok ? 200 : 503, { status: ok ? 'ok' : 'failing', ...info() }, asText);
    }
    if (path === '/probe') {
      const host = url.searchParams.get('host') || '';
      const port = Number(url.searchParams.get('port')) || 0;
      if (!host) return send(res, 400, { error: 'host is required' }, asText);
      const r = await probe(host, port, Number(url.searchParams.get('timeout')) || 1500);
      return send(res, 200, { ...r, reachable: port ? r.tcp.ok : r.dns.ok, from: info() }, asText);
    }
    if (path === '/sleep') {
      await sleep(Math.min(Number(url.searchParams.get('ms')) || 0, 60_000));
    }
    send(res, 200, { ...info(), method: req.method, path }, asText);
  });
  server.keepAliveTimeout = 65_000; // longer than a proxy's idle timeout, like production servers
  const port = Number(env.PORT) || 8000;
  server.listen(port, env.HOST || '0.0.0.0', () => log(`listening on :${port} ${JSON.stringify(info())}`));
  const stop = (sig) => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: draining`);
    server.close(() => { log('stopped'); process.exit(0); });
    server.closeIdleConnections();
    setTimeout(() => { log('drain timeout, exiting'); process.exit(0); }, Number(env.STOP_TIMEOUT_MS) || 8000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function worker() {
  const every = Number(env.HEARTBEAT_MS) || 2000;
  log(`worker started ${JSON.stringify(info())}`);
  const timer = setInterval(() => log(`heartbeat ${info().app} ${info().env} ${info().release}`), every);
  const stop = (sig) => { clearInterval(timer); log(`${sig}: worker stopped`); process.exit(0); };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const cmd = process.argv[2];
if (cmd === 'release' || cmd === 'migrate') releaseCommand(cmd);
else if (cmd === 'worker' || env.MODE === 'worker') worker();
else if (cmd && cmd !== 'web') { console.error(`unknown command '${cmd}' (web | worker | release | migrate)`); process.exit(2); }
else web();
