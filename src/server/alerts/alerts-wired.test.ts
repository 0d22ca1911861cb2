// Evaluator, dispatcher and both real notifiers together, against a real HTTP server and a real
// SMTP server on 127.0.0.1:0: memory at 85 % for 5 minutes of observations sends one webhook post
// and one mail; it staying high sends nothing more; it dropping sends one resolved post and one
// resolved mail. A webhook that answers 500 at first gets the message on the next evaluation.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../util/secret.ts';
import type { ServerSample } from '../metrics/metrics-source.ts';
import { createAlertDispatcher } from './alert-dispatcher.ts';
import { createAlertEvaluator } from './alert-evaluator.ts';
import { DEFAULT_ALERT_RULES } from './alert-rules.ts';
import { createEmailNotifier } from './email-notifier.ts';
import { createWebhookNotifier } from './webhook-notifier.ts';

const T0 = 1_700_000_000_000;
const MIN = 60_000;

let http: Server;
let smtp: SMTPServer;
let hookUrl: string;
let smtpPort: number;
const posts: { status: string; answered: number }[] = [];
const subjects: string[] = [];
const failNextPosts = { count: 0 };

beforeAll(async () => {
  http = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const answered = failNextPosts.count > 0 ? (failNextPosts.count--, 500) : 200;
      posts.push({ status: JSON.parse(body).status, answered });
      res.statusCode = answered;
      res.end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/hook`;
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, cb) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => (raw += c));
      stream.on('end', () => {
        subjects.push(/^Subject: (.*)$/m.exec(raw)?.[1]?.trim() ?? '');
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => http.close(resolve));
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

const server = (memPercent: number): ServerSample => ({
  server: 'vps1',
  memoryUsedBytes: (memPercent / 100) * 4e9,
  memoryTotalBytes: 4e9,
  diskUsedBytes: 10e9,
  diskTotalBytes: 100e9,
  load1: 0.1,
});

describe('alerts end to end in process', () => {
  it('fires and resolves memory above 80 % once on each notifier, retrying a failed post', async () => {
    let t = T0;
    const now = () => t;
    const evaluator = createAlertEvaluator({ rules: DEFAULT_ALERT_RULES, now });
    const dispatcher = createAlertDispatcher({
      now,
      notifiers: [
        createWebhookNotifier({ url: new Secret(hookUrl, 'webhook url') }),
        createEmailNotifier({ host: '127.0.0.1', port: smtpPort, ignoreTLS: true, from: 'slipway@example.com', to: ['ops@example.com'] }),
      ],
    });
    const tick = async (minute: number, memPercent: number) => {
      t = T0 + minute * MIN;
      return dispatcher.dispatch(evaluator.evaluate({ servers: [server(memPercent)] }));
    };

    for (let m = 0; m <= 4; m++) await tick(m, 85);
    expect(posts).toEqual([]);
    expect(subjects).toEqual([]);

    failNextPosts.count = 1;
    const fired = await tick(5, 85);
    expect(fired.failed.map((f) => `${f.notifier}: ${f.error}`)).toEqual([`webhook: webhook webhook (${new URL(hookUrl).host}): answered HTTP 500`]);
    expect(subjects).toEqual(['[slipway] FIRING: memory above 80 % on vps1']);

    await tick(6, 90);
    await tick(7, 88);
    expect(posts).toEqual([
      { status: 'firing', answered: 500 },
      { status: 'firing', answered: 200 },
    ]);
    expect(subjects).toEqual(['[slipway] FIRING: memory above 80 % on vps1']);

    await tick(8, 50);
    await tick(9, 50);
    expect(posts.filter((p) => p.answered === 200).map((p) => p.status)).toEqual(['firing', 'resolved']);
    expect(subjects).toEqual(['[slipway] FIRING: memory above 80 % on vps1', '[slipway] RESOLVED: memory above 80 % on vps1 (after 8 min)']);
    expect(dispatcher.pending()).toEqual([]);
  });
});
