// GET /metrics, framework-agnostic: the Authorization header in, {status, headers, body} out.
// Only `Bearer <token>` with the configured token gets the Prometheus text exposition; the
// comparison is constant-time (both sides hashed to equal length, then timingSafeEqual). An empty
// configured token refuses everyone rather than letting everyone in.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Secret } from '../../util/secret.ts';

export interface MetricsResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** True when `presented` equals `expected`, in time that does not depend on where they differ. */
export function tokensMatch(presented: string, expected: string): boolean {
  const equal = timingSafeEqual(digest(presented), digest(expected));
  return equal && expected.length > 0;
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  return m?.[1];
}

export function metricsHandler(registry: Registry, token: Secret): (authorization: string | undefined) => Promise<MetricsResponse> {
  return async (authorization): Promise<MetricsResponse> => {
    const presented = bearerToken(authorization);
    if (presented === undefined || !tokensMatch(presented, token.reveal())) {
      return {
        status: 401,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="slipway metrics"' },
        body: 'unauthorized: send the metrics token as "Authorization: Bearer <token>"\n',
      };
    }
    try {
      const body = await registry.metrics();
      return { status: 200, headers: { 'content-type': registry.contentType }, body };
    } catch {
      return { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'metrics could not be collected\n' };
    }
  };
}
