// The webhook notifier against a real HTTP server on 127.0.0.1:0: the exact JSON body arrives
// once per send (Slack's `text` plus the structured fields); an error answer and a closed port
// fail with the host named and the URL's secret path never shown.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../util/secret.ts';
import type { AlertTransition } from './alert-evaluator.ts';
import { createWebhookNotifier } from './webhook-notifier.ts';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);

const FIRING: AlertTransition = {
  status: 'firing',
  key: 'server-memory:vps1',
  rule: 'server-memory',
  severity: 'warning',
  labels: { server: 'vps1' },
  title: 'memory above 80 % on vps1',
  detail: '85 % used (3.17GiB of 3.73GiB)',
  since: T0,
  at: T0 + 300_000,
};

interface Received {
  method?: string;
  url?: string;
  contentType?: string;
  body: string;
}

let server: Server;
let base: string;
let received: Received[] = [];
let answer = 200;

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => resolve(body));
  });

beforeAll(async () => {
  server = createServer(async (req, res) => {
    received.push({ method: req.method, url: req.url, contentType: req.headers['content-type'], body: await read(req) });
    res.statusCode = answer;
    res.end(answer === 200 ? 'ok' : 'no_service');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
  answer = 200;
});

describe('createWebhookNotifier', () => {
  it('posts the alert once, as Slack-compatible JSON with the structured fields', async () => {
    const notifier = createWebhookNotifier({ url: new Secret(`${base}/services/T000/B000/XXXXsecretXXXX`, 'webhook url') });
    await notifier.send(FIRING);
    expect(received).toHaveLength(1);
    expect(received[0]!.method).toBe('POST');
    expect(received[0]!.url).toBe('/services/T000/B000/XXXXsecretXXXX');
    expect(received[0]!.contentType).toBe('application/json');
    expect(JSON.parse(received[0]!.body)).toEqual({
      text: 'FIRING (warning): memory above 80 % on vps1\n85 % used (3.17GiB of 3.73GiB)\nsince 2025-01-02T03:04:05.000Z\nalert server-memory:vps1 (server=vps1)',
      status: 'firing',
      alert: 'server-memory:vps1',
      rule: 'server-memory',
      severity: 'warning',
      title: 'memory above 80 % on vps1',
      detail: '85 % used (3.17GiB of 3.73GiB)',
      labels: { server: 'vps1' },
      since: '2025-01-02T03:04:05.000Z',
      at: '2025-01-02T03:09:05.000Z',
    });
  });

  it('posts a resolved message that says how long it held', async () => {
    const notifier = createWebhookNotifier({ url: new Secret(`${base}/hook`, 'webhook url') });
    await notifier.send({ ...FIRING, status: 'resolved', at: T0 + 12 * 60_000 });
    expect(received).toHaveLength(1);
    const body = JSON.parse(received[0]!.body);
    expect(body.status).toBe('resolved');
    expect(body.text).toBe(
      'RESOLVED: memory above 80 % on vps1\nit held from 2025-01-02T03:04:05.000Z to 2025-01-02T03:16:05.000Z (12 min)\nalert server-memory:vps1 (server=vps1)',
    );
  });

  it('fails on an error answer, naming the host and never the secret path', async () => {
    answer = 500;
    const notifier = createWebhookNotifier({ name: 'slack', url: new Secret(`${base}/services/XXXXsecretXXXX`, 'webhook url') });
    const err = await notifier.send(FIRING).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toBe(`webhook slack (${new URL(base).host}): answered HTTP 500`);
    expect(received).toHaveLength(1);
  });

  it('fails when nothing listens, without the URL in the error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const notifier = createWebhookNotifier({ url: new Secret(`http://127.0.0.1:${port}/XXXXsecretXXXX`, 'webhook url') });
    const err = await notifier.send(FIRING).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toBe(`webhook webhook (127.0.0.1:${port}): ECONNREFUSED`);
  });

  it('refuses a URL that is not one', async () => {
    const notifier = createWebhookNotifier({ url: new Secret('hooks.example.com/XXXXsecretXXXX', 'webhook url') });
    await expect(notifier.send(FIRING)).rejects.toThrow('webhook webhook (the webhook): the URL is not valid; give a full https:// URL');
  });
});
