// Minimal HTTP GET to the local proxy with a Host header (so *.localhost names need no DNS).
import { request } from 'node:http';

export function get(
  port: number,
  host: string,
  path: string,
  basicAuth?: string,
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        headers: { Host: host, ...(basicAuth ? { Authorization: `Basic ${Buffer.from(basicAuth).toString('base64')}` } : {}) },
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`GET http://${host}${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
