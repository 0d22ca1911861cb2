// A local HTTP stand-in for the part of Cloudflare's v4 API that src/dns/cloudflare.ts uses (the
// real API is out of reach from here): GET /zones?name=, GET /zones/:id/dns_records (name.exact,
// type), POST /zones/:id/dns_records/batch (deletes, then posts). It checks the bearer token on
// every request (401 with Cloudflare's error body otherwise) and records each request (method,
// path, query, headers, body) so a test can check what the client sent.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface CfStandinRecord {
  id: string;
  name: string;
  type: string;
  content: string;
  ttl: number;
  proxied?: boolean;
}

export interface CfRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  body: unknown;
}

export interface CloudflareStandin {
  /** Base URL for the fleet's `api:` (…/client/v4). */
  api: string;
  zoneId: string;
  records: CfStandinRecord[];
  requests: CfRequest[];
  stop(): Promise<void>;
}

const envelope = (result: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ success: true, errors: [], messages: [], result, ...extra });
const failure = (code: number, message: string) => JSON.stringify({ success: false, errors: [{ code, message }], messages: [], result: null });

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

export async function startCloudflareStandin(opts: { zone: string; token: string; records?: Omit<CfStandinRecord, 'id'>[] }): Promise<CloudflareStandin> {
  const zoneId = randomBytes(16).toString('hex');
  const newId = () => randomBytes(16).toString('hex');
  const records: CfStandinRecord[] = (opts.records ?? []).map((r) => ({ ...r, id: newId() }));
  const requests: CfRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    const path = url.pathname.replace(/^\/client\/v4/, '');
    const body = await readBody(req);
    requests.push({ method: req.method ?? '', path, query: url.searchParams, authorization: req.headers.authorization, body });
    res.setHeader('content-type', 'application/json');
    const send = (status: number, text: string) => {
      res.statusCode = status;
      res.end(text);
    };
    if (req.headers.authorization !== `Bearer ${opts.token}`) return send(401, failure(10000, 'Authentication error'));
    // Pages as the real API does: `page` (from 1) and `per_page`; past the last page, no items.
    const page = (all: unknown[]) => {
      const n = Number(url.searchParams.get('page') ?? 1);
      const per = Number(url.searchParams.get('per_page') ?? 20);
      const items = all.slice((n - 1) * per, n * per);
      return envelope(items, {
        result_info: { page: n, per_page: per, count: items.length, total_count: all.length, total_pages: Math.ceil(all.length / per) },
      });
    };
    if (req.method === 'GET' && path === '/zones') {
      const name = url.searchParams.get('name');
      return send(200, page(name === null || name === opts.zone ? [{ id: zoneId, name: opts.zone, status: 'active' }] : []));
    }
    const m = /^\/zones\/([^/]+)\/dns_records(\/batch)?$/.exec(path);
    if (!m || m[1] !== zoneId) return send(404, failure(7003, 'Could not route to the requested path'));
    if (req.method === 'GET' && !m[2]) {
      const name = url.searchParams.get('name.exact') ?? url.searchParams.get('name');
      const type = url.searchParams.get('type');
      return send(200, page(records.filter((r) => (name === null || r.name === name) && (type === null || r.type === type))));
    }
    if (req.method === 'POST' && m[2]) {
      const b = body as { deletes?: { id: string }[]; posts?: Omit<CfStandinRecord, 'id'>[] };
      for (const d of b.deletes ?? []) {
        const i = records.findIndex((r) => r.id === d.id);
        if (i < 0) return send(400, failure(81044, `Record ${d.id} does not exist`));
        records.splice(i, 1);
      }
      const posted = (b.posts ?? []).map((p) => ({ ...p, content: p.type === 'TXT' ? `"${p.content}"` : p.content, id: newId() }));
      records.push(...posted);
      return send(200, envelope({ deletes: b.deletes ?? [], posts: posted, patches: [], puts: [] }));
    }
    return send(405, failure(10405, 'Method not allowed'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    api: `http://127.0.0.1:${port}/client/v4`,
    zoneId,
    records,
    requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
