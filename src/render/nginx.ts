// nginx renderer: a complete nginx.conf (events + http) for the proxy container of one server,
// plus the htpasswd files its basic-auth routes read.
//
// - A deploy never reloads nginx: the new release joins the edge network under the stable alias
//   once healthy and the old one leaves it, so answers change within `valid=1s`; a connection
//   refused by a stopping container, or a connect to one that just left, is retried on the next
//   address (proxy_next_upstream, 1 s connect timeout).
// - Upstreams are resolved at request time through Docker's DNS (`resolver 127.0.0.11`) with
//   `set $upstream …; proxy_pass $upstream;`: `nginx -t` passes before the containers exist, and
//   a switch only needs the alias to point elsewhere, no reload. `proxy_pass` with a variable and
//   no URI part forwards the original request URI untouched (paths are never mangled).
// - Trade-off: a variable `proxy_pass` cannot use an `upstream {}` keepalive pool on nginx 1.22
//   (runtime `resolve` needs 1.27.3+). `proxy_http_version 1.1` and `Connection ""` are still
//   set, so upgrading nginx or moving to upstream blocks needs no other change. WebSocket
//   upgrades are passed through via a map on `$http_upgrade`.
// - TLS (model/tls.ts): a host with its Slipway-managed certificate in place (`certificates`)
//   gets a `listen 443 ssl` server reading CERT_DIR/<host>/, HSTS when asked, and its port-80
//   server redirects (308) unless `redirect: false`. Every port-80 server of a host that needs a
//   certificate answers `/.well-known/acme-challenge/` from the ACME webroot (HTTP-01). A host
//   still waiting for its certificate is served on HTTP only.
// - Rate limits use one zone per environment, `rl_{env}`; exceeded requests get 429.
// - Moves (workflows/proxy-overrides.ts): a host whose writes are held answers methods other
//   than GET, HEAD and OPTIONS with 503 and Retry-After (a named location, reached before auth),
//   reads still go on. A forwarded host is proxied to another server's proxy through an
//   `upstream {}` block (a fixed address needs no resolver) with no keep-alive pool: a connection
//   per request, so a reload of the target's proxy (which closes its idle keep-alive connections)
//   never meets a write sent on a reused one (nginx would answer it 502, not retry it), the Host kept,
//   X-Forwarded-For/Proto/Host set; `https://ADDR:PORT` speaks TLS with SNI = the host and no
//   verification (the target's proxy redirects its HTTP port when the host is HTTPS there). Basic
//   auth and rate limit are left to the target. The maintenance page wins over both.
import type { Route, ServerState } from '../plan/desire/desired.ts';
import { ACME_WEBROOT, certPaths, hstsValue, servesHttps, tlsServing } from '../model/tls.ts';

export interface NginxOptions {
  /** Hosts to serve the maintenance page for, in addition to `route.maintenance`. */
  maintenance?: Set<string>;
  /** `listen` argument of every server block. Default `80`. */
  listen?: string;
  /** DNS resolver for upstream names. Default `127.0.0.11` (Docker's embedded DNS). */
  resolver?: string;
  /** Directory holding one htpasswd file per env. Default `/etc/slipway/htpasswd`. */
  htpasswdDir?: string;
  /** pid file. Default `/run/nginx.pid`. */
  pidFile?: string;
  /** error_log target. Default `stderr`. */
  errorLog?: string;
  /** access_log target. Default `/dev/stdout`. */
  accessLog?: string;
  /** When set, all *_temp_path directives go under this existing directory (for unprivileged runs). */
  tempDir?: string;
  /** Retry-After seconds on the maintenance page. Default 120. */
  retryAfterS?: number;
  /** Hosts whose Slipway-managed certificate files are in place (model/tls.ts). Default none. */
  certificates?: ReadonlySet<string>;
  /** `listen` argument of the TLS servers. Default `443`. */
  httpsListen?: string;
  /** The HTTPS port clients reach (the server's published port), for redirects. Default 443. */
  publicHttpsPort?: number;
  /** Hosts whose writes (methods other than GET, HEAD, OPTIONS) get 503 with this Retry-After (seconds). */
  holdWrites?: ReadonlyMap<string, number>;
  /**
   * Hosts whose writes are sent to another server's proxy (`ADDR:PORT`), where they wait (its app
   * is paused during a move's write pause) up to 60 s for the answer; reads are served here.
   */
  waitWrites?: ReadonlyMap<string, string>;
  /** Hosts proxied to another server's proxy: `ADDR:PORT` (HTTP) or `https://ADDR:PORT`. */
  forward?: ReadonlyMap<string, string>;
}

export interface HtpasswdUser {
  user: string;
  /** A crypt(3) hash nginx understands (bcrypt `$2y$`/`$2b$`, apr1, sha-512…); never a plain password. */
  hash: string;
}

/** htpasswd file content: `user:hash` lines, sorted by user. */
export function renderHtpasswd(users: HtpasswdUser[]): string {
  const lines = [...users]
    .sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0))
    .map(({ user, hash }) => {
      if (!/^[^:\s]+$/.test(user)) throw new Error(`htpasswd: invalid user name ${JSON.stringify(user)}`);
      if (/[:\s]/.test(hash) || hash === '') throw new Error(`htpasswd: hash for user ${user} is not a single token`);
      return `${user}:${hash}`;
    });
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Zone-safe identifier for an env name. */
export const rateZone = (env: string): string => `rl_${env.replace(/[^A-Za-z0-9_]/g, '_')}`;

function token(kind: string, v: string): string {
  if (!/^[A-Za-z0-9._:\-[\]*/]+$/.test(v)) throw new Error(`nginx: unsafe ${kind} ${JSON.stringify(v)}`);
  return v;
}

export const MAINTENANCE_HTML =
  '<!doctype html><html><head><meta charset="utf-8"><title>Maintenance</title></head>' +
  '<body><h1>Down for maintenance</h1><p>This site is being updated. Please try again in a few minutes.</p></body></html>';

type BlockOptions = Required<Pick<NginxOptions, 'listen' | 'htpasswdDir' | 'retryAfterS' | 'httpsListen' | 'publicHttpsPort'>>;

/** The body of a held write (503 with Retry-After). */
export const HELD_WRITE_TEXT = 'Writes are paused for a moment while this site moves; please retry.';

/** A forward target, `ADDR:PORT` or `https://ADDR:PORT`, split; throws on anything else. */
export function forwardTarget(to: string): { https: boolean; dial: string } {
  const m = /^(https:\/\/)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/.exec(to);
  if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535) throw new Error(`forward target ${JSON.stringify(to)} is not ADDR:PORT or https://ADDR:PORT`);
  return { https: m[1] !== undefined, dial: `${m[2]}:${m[3]}` };
}

/** The `upstream {}` name of a forward target. */
const forwardUpstream = (to: string): string => `slipway_forward_${to.replace(/^https:\/\//, 's_').replace(/[^A-Za-z0-9]/g, '_')}`;

/** What a route's location does besides the maintenance page: hold writes, forward. */
interface Move {
  retryAfterS?: number;
  /** Held writes go to this proxy (`ADDR:PORT`) and wait there (takes the place of retryAfterS). */
  waitAt?: string;
  forward?: string;
}

/** The headers a forwarded request carries (its Host, the client's address and scheme). */
const FORWARD_HEADERS = [
  '      proxy_http_version 1.1;',
  '      proxy_set_header Host $host;',
  '      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
  '      proxy_set_header X-Forwarded-Proto $scheme;',
  '      proxy_set_header X-Forwarded-Host $host;',
  '      proxy_set_header X-Request-Id $request_id;',
];

/**
 * The named location held writes wait in: proxied to the other server's proxy, whose app is paused
 * until the pause ends (the connection is accepted, the answer comes then). Never retried elsewhere.
 */
function waitLocation(waitAt: string): string[] {
  const target = forwardTarget(waitAt);
  if (target.https) throw new Error(`nginx: held writes wait at a plain HTTP proxy (ADDR:PORT), not ${waitAt}`);
  return [
    '    location @slipway_wait {',
    `      proxy_pass http://${forwardUpstream(waitAt)};`,
    ...FORWARD_HEADERS,
    '      proxy_connect_timeout 5s;',
    '      proxy_read_timeout 60s;',
    '      proxy_next_upstream off;',
    '    }',
  ];
}

/** The named location held writes are sent to (its own add_header lines, so HSTS is repeated). */
function heldLocation(retryAfterS: number, hsts: string | undefined): string[] {
  if (!Number.isInteger(retryAfterS) || retryAfterS < 0) throw new Error(`nginx: Retry-After ${retryAfterS} is not a whole number of seconds`);
  return [
    '    location @slipway_held {',
    ...(hsts ? [`      add_header Strict-Transport-Security "${hsts}" always;`] : []),
    `      add_header Retry-After ${retryAfterS} always;`,
    '      add_header Cache-Control "no-store" always;',
    '      default_type text/plain;',
    `      return 503 '${HELD_WRITE_TEXT}\\n';`,
    '    }',
  ];
}

function maintenanceLocation(o: BlockOptions): string[] {
  return [
    '    location / {',
    `      add_header Retry-After ${o.retryAfterS} always;`,
    '      add_header Cache-Control "no-store" always;',
    '      default_type text/html;',
    `      return 503 '${MAINTENANCE_HTML}';`,
    '    }',
  ];
}

function proxyLocation(r: Route, o: BlockOptions, hsts: string | undefined, move: Move): string[] {
  const out: string[] = [];
  // A forwarded host's auth and rate limit are the target's: applied once, there.
  if (r.rateLimit && !move.forward) out.push(`    limit_req zone=${rateZone(r.env)} burst=${r.rateLimit.burst} nodelay;`);
  if (r.basicAuth && r.basicAuth.length > 0 && !move.forward) {
    out.push(`    auth_basic "${token('env', r.env)}";`, `    auth_basic_user_file ${o.htpasswdDir}/${token('env', r.env)};`);
  }
  if (hsts) out.push(`    add_header Strict-Transport-Security "${hsts}" always;`);
  out.push('    location / {');
  // `return` runs in the rewrite phase, before auth and the proxy: a held write never reaches either.
  if (move.waitAt !== undefined)
    out.push('      error_page 418 = @slipway_wait;', '      if ($request_method !~ ^(GET|HEAD|OPTIONS)$) {', '        return 418;', '      }');
  else if (move.retryAfterS !== undefined)
    out.push('      error_page 418 = @slipway_held;', '      if ($request_method !~ ^(GET|HEAD|OPTIONS)$) {', '        return 418;', '      }');
  const held = (): string[] =>
    move.waitAt !== undefined ? waitLocation(move.waitAt) : move.retryAfterS !== undefined ? heldLocation(move.retryAfterS, hsts) : [];
  if (move.forward) {
    const target = forwardTarget(move.forward);
    out.push(
      `      proxy_pass ${target.https ? 'https' : 'http'}://${forwardUpstream(move.forward)};`,
      '      proxy_http_version 1.1;',
      '      proxy_set_header Host $host;',
      '      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
      '      proxy_set_header X-Forwarded-Proto $scheme;',
      '      proxy_set_header X-Forwarded-Host $host;',
      '      proxy_set_header X-Request-Id $request_id;',
      '      proxy_set_header Upgrade $http_upgrade;',
      '      proxy_set_header Connection $slipway_connection;',
      ...(target.https ? ['      proxy_ssl_server_name on;', '      proxy_ssl_name $host;', '      proxy_ssl_verify off;'] : []),
      '      proxy_connect_timeout 5s;',
      '    }',
    );
    out.push(...held());
    return out;
  }
  out.push(
    `      set $upstream http://${token('upstream', r.upstream)};`,
    '      proxy_pass $upstream;',
    '      proxy_http_version 1.1;',
    '      proxy_set_header Host $host;',
    '      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '      proxy_set_header X-Forwarded-Proto $scheme;',
    '      proxy_set_header X-Forwarded-Host $host;',
    '      proxy_set_header X-Request-Id $request_id;',
    '      proxy_set_header Upgrade $http_upgrade;',
    '      proxy_set_header Connection $slipway_connection;',
    // Containers are on the same host: a connect that takes more than 1 s goes to a container
    // that just left (its address lingers in nginx's DNS cache for up to 1 s); try the next one.
    '      proxy_connect_timeout 1s;',
    '      proxy_next_upstream error timeout;',
    '      proxy_next_upstream_tries 3;',
    '    }',
  );
  out.push(...held());
  return out;
}

/** The server blocks of one route: port 80 (ACME webroot, redirect or the app), and 443 once its certificate is in place. */
function serverBlocks(r: Route, o: BlockOptions, maintenance: boolean, certificates: ReadonlySet<string>, move: Move): string[] {
  const host = token('host', r.host);
  const head = (listen: string) => ['  server {', `    listen ${listen};`, `    server_name ${host};`, `    # slipway: app ${r.app}, env ${r.env}`];
  const body = (hsts: string | undefined) => (maintenance ? maintenanceLocation(o) : proxyLocation(r, o, hsts, move));
  const https = servesHttps(r, 'nginx', certificates);
  const http = head(o.listen);
  // HTTP-01 answers come from the webroot (before any auth, redirect or maintenance page).
  if (tlsServing(r, 'nginx') === 'slipway')
    http.push(`    location ^~ /.well-known/acme-challenge/ {`, `      root ${ACME_WEBROOT};`, '      default_type text/plain;', '    }');
  if (https && r.tls.redirect) {
    const port = o.publicHttpsPort === 443 ? '' : `:${o.publicHttpsPort}`;
    http.push('    location / {', `      return 308 https://$host${port}$request_uri;`, '    }');
  } else http.push(...body(undefined));
  http.push('  }');
  if (!https) return http;
  const { fullchain, privkey } = certPaths(host);
  return [
    ...http,
    '',
    ...head(`${o.httpsListen} ssl`),
    `    ssl_certificate ${fullchain};`,
    `    ssl_certificate_key ${privkey};`,
    ...body(hstsValue(r)),
    '  }',
  ];
}

/** Full nginx.conf for the proxy of `server`. */
export function renderNginx(server: ServerState, opts: NginxOptions = {}): string {
  const o = {
    listen: opts.listen ?? '80',
    resolver: opts.resolver ?? '127.0.0.11',
    htpasswdDir: (opts.htpasswdDir ?? '/etc/slipway/htpasswd').replace(/\/+$/, ''),
    pidFile: opts.pidFile ?? '/run/nginx.pid',
    errorLog: opts.errorLog ?? 'stderr',
    accessLog: opts.accessLog ?? '/dev/stdout',
    retryAfterS: opts.retryAfterS ?? 120,
    httpsListen: opts.httpsListen ?? '443',
    publicHttpsPort: opts.publicHttpsPort ?? 443,
  };
  const certificates = opts.certificates ?? new Set<string>();
  const routes = [...server.routes].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  for (let i = 1; i < routes.length; i++) {
    if (routes[i]?.host === routes[i - 1]?.host) throw new Error(`nginx: two routes for host ${routes[i]?.host}`);
  }

  const zones = new Map<string, { rps: number; env: string }>();
  for (const r of routes) {
    if (!r.rateLimit) continue;
    const z = rateZone(r.env);
    const prev = zones.get(z);
    if (prev && prev.rps !== r.rateLimit.rps) {
      throw new Error(`nginx: env ${r.env} has two different rate limits (${prev.rps} and ${r.rateLimit.rps} r/s)`);
    }
    zones.set(z, { rps: r.rateLimit.rps, env: r.env });
  }

  const lines = [
    `# Generated by slipway for server ${server.server}. Do not edit: changes are overwritten.`,
    'worker_processes auto;',
    `pid ${o.pidFile};`,
    `error_log ${o.errorLog} warn;`,
    '',
    'events {',
    '  worker_connections 1024;',
    '}',
    '',
    'http {',
    '  default_type application/octet-stream;',
    '  server_tokens off;',
    '  sendfile on;',
    '  keepalive_timeout 65;',
    `  access_log ${o.accessLog};`,
    `  resolver ${o.resolver} valid=1s ipv6=off;`,
    '  resolver_timeout 5s;',
  ];
  if (opts.tempDir) {
    const t = opts.tempDir.replace(/\/+$/, '');
    for (const k of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) lines.push(`  ${k}_temp_path ${t}/${k};`);
  }
  lines.push(
    '',
    '  # WebSocket upgrades pass through; otherwise an empty Connection header (upstream keep-alive).',
    '  map $http_upgrade $slipway_connection {',
    '    default upgrade;',
    '    "" "";',
    '  }',
  );
  if (zones.size > 0) {
    lines.push('', '  limit_req_status 429;');
    for (const [z, { rps }] of [...zones].sort(([a], [b]) => (a < b ? -1 : 1))) {
      lines.push(`  limit_req_zone $binary_remote_addr zone=${z}:10m rate=${rps}r/s;`);
    }
  }
  const forwards = [
    ...new Set(
      routes.flatMap((r) =>
        (r.maintenance || opts.maintenance?.has(r.host) ? [] : [opts.forward?.get(r.host), opts.waitWrites?.get(r.host)]).filter((t) => t !== undefined),
      ),
    ),
  ].sort();
  if (forwards.length > 0) {
    lines.push('', '  # Hosts forwarded to another server (a move): a new connection per request.');
    for (const to of forwards) lines.push(`  upstream ${forwardUpstream(to)} {`, `    server ${forwardTarget(to).dial};`, '  }');
  }
  lines.push('', '  # Unknown hosts.', '  server {', `    listen ${o.listen} default_server;`, '    server_name _;', '    return 404;', '  }');
  if (routes.some((r) => servesHttps(r, 'nginx', certificates))) {
    // TLS settings of every 443 server; an unknown name gets the first certificate and a 404.
    lines.push('', '  ssl_protocols TLSv1.2 TLSv1.3;', '  ssl_prefer_server_ciphers off;', '  ssl_session_cache shared:SSL:10m;', '  ssl_session_timeout 1d;');
  }
  for (const r of routes) {
    const maintenance = r.maintenance || (opts.maintenance?.has(r.host) ?? false);
    const hold = opts.holdWrites?.get(r.host);
    const to = opts.forward?.get(r.host);
    const waitAt = opts.waitWrites?.get(r.host);
    const move: Move = {
      ...(hold !== undefined ? { retryAfterS: hold } : {}),
      ...(waitAt !== undefined ? { waitAt } : {}),
      ...(to !== undefined ? { forward: to } : {}),
    };
    lines.push('', ...serverBlocks(r, o, maintenance, certificates, move));
  }
  lines.push('}', '');
  return lines.join('\n');
}
