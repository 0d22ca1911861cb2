// The /metrics handler: refused without a bearer token, with a wrong one, with another scheme,
// or when the configured token is empty; the exposition with the right one.
import { describe, expect, it } from 'vitest';
import { Secret } from '../../util/secret.ts';
import { createMetrics } from './create-metrics.ts';
import { bearerToken, metricsHandler, tokensMatch } from './metrics-handler.ts';
import type { MetricsSource } from './metrics-source.ts';

const TOKEN = 'metrics-token-0123456789abcdef';
const source: MetricsSource = {
  containers: async () => [],
  servers: async () => [{ server: 'vps1', memoryUsedBytes: 1, memoryTotalBytes: 2, diskUsedBytes: 3, diskTotalBytes: 4, load1: 0.5 }],
  backups: async () => [],
};

describe('metricsHandler', () => {
  const { registry } = createMetrics({ source, now: () => 0 });
  const handle = metricsHandler(registry, new Secret(TOKEN, 'metrics token'));

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['a wrong token', 'Bearer metrics-token-0123456789abcdeX'],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`],
    ['the token with more after it', `Bearer ${TOKEN}x`],
    ['basic auth', `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`],
    ['the bare token', TOKEN],
    ['two tokens', `Bearer ${TOKEN} ${TOKEN}`],
  ])('refuses %s with 401 and no metrics', async (_what, header) => {
    const res = await handle(header);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(res.body).not.toContain('slipway_');
    expect(res.body).not.toContain(TOKEN);
  });

  it('answers the right token with the Prometheus text exposition', async () => {
    const res = await handle(`Bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body).toContain('slipway_server_load1{server="vps1"} 0.5\n');
    expect((await handle(`bearer  ${TOKEN} `)).status).toBe(200);
  });

  it('refuses everyone when the configured token is empty', async () => {
    const open = metricsHandler(registry, new Secret('', 'metrics token'));
    expect((await open('Bearer ')).status).toBe(401);
    expect((await open(undefined)).status).toBe(401);
    expect(tokensMatch('', '')).toBe(false);
  });

  it('reads the bearer token out of the header', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('Token abc')).toBeUndefined();
    expect(tokensMatch('abc', 'abc')).toBe(true);
    expect(tokensMatch('abc', 'abd')).toBe(false);
  });
});
