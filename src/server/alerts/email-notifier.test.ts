// The email notifier against a real SMTP server (smtp-server on 127.0.0.1:0, no TLS for this local
// test only): a firing mail arrives once with its subject and body, then a resolved one; a login
// is used when given; a refused login fails without the password anywhere in the error.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../util/secret.ts';
import type { AlertTransition } from './alert-evaluator.ts';
import { createEmailNotifier, type EmailNotifierOptions } from './email-notifier.ts';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);
const PASSWORD = 'smtp-Pa55word-never-shown';

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
const RESOLVED: AlertTransition = { ...FIRING, status: 'resolved', at: T0 + 12 * 60_000 };

interface Mail {
  from: string | undefined;
  to: string[];
  user: string | undefined;
  raw: string;
}

let server: SMTPServer;
let port: number;
let mails: Mail[] = [];

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'alerts' && auth.password === PASSWORD) cb(null, { user: 'alerts' });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => (raw += c));
      stream.on('end', () => {
        const from = session.envelope.mailFrom;
        mails.push({ from: from ? from.address : undefined, to: session.envelope.rcptTo.map((r) => r.address), user: session.user as string | undefined, raw });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  mails = [];
});

const options = (over: Partial<EmailNotifierOptions> = {}): EmailNotifierOptions => ({
  host: '127.0.0.1',
  port,
  ignoreTLS: true,
  from: 'slipway@shop.example.com',
  to: ['ops@shop.example.com', 'oncall@shop.example.com'],
  ...over,
});

/** The header block and the body of a raw message, with folded headers unfolded. */
function parse(raw: string) {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const headers = Object.fromEntries(
    head
      .replace(/\r\n[ \t]+/g, ' ')
      .split('\r\n')
      .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { headers, body: rest.join('\r\n\r\n').replace(/\r\n/g, '\n') };
}

describe('createEmailNotifier', () => {
  it('sends the firing mail once, then the resolved mail once', async () => {
    const notifier = createEmailNotifier(options());
    await notifier.send(FIRING);
    expect(mails).toHaveLength(1);
    const first = parse(mails[0]!.raw);
    expect(mails[0]!.from).toBe('slipway@shop.example.com');
    expect(mails[0]!.to).toEqual(['ops@shop.example.com', 'oncall@shop.example.com']);
    expect(first.headers.subject).toBe('[slipway] FIRING: memory above 80 % on vps1');
    expect(first.headers.to).toBe('ops@shop.example.com, oncall@shop.example.com');
    expect(first.headers['content-transfer-encoding']).toBe('7bit');
    expect(first.body).toBe(
      'FIRING (warning): memory above 80 % on vps1\n85 % used (3.17GiB of 3.73GiB)\nsince 2025-01-02T03:04:05.000Z\nalert server-memory:vps1 (server=vps1)\n',
    );

    await notifier.send(RESOLVED);
    expect(mails).toHaveLength(2);
    const second = parse(mails[1]!.raw);
    expect(second.headers.subject).toBe('[slipway] RESOLVED: memory above 80 % on vps1 (after 12 min)');
    expect(second.body).toBe(
      'RESOLVED: memory above 80 % on vps1\nit held from 2025-01-02T03:04:05.000Z to 2025-01-02T03:16:05.000Z (12 min)\nalert server-memory:vps1 (server=vps1)\n',
    );
  });

  it('logs in when a user and password are given', async () => {
    const notifier = createEmailNotifier(options({ auth: { user: 'alerts', pass: new Secret(PASSWORD, 'smtp password') } }));
    await notifier.send(FIRING);
    expect(mails.map((m) => m.user)).toEqual(['alerts']);
  });

  it('fails a refused login without the password in the error', async () => {
    const notifier = createEmailNotifier(options({ name: 'ops mail', auth: { user: 'alerts', pass: new Secret(`${PASSWORD}-wrong`, 'smtp password') } }));
    const err = await notifier.send(FIRING).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(new RegExp(`^email ops mail via 127\\.0\\.0\\.1:${port}: Invalid login: .*\\(EAUTH\\)$`));
    expect(JSON.stringify({ message: err?.message, stack: err?.stack })).not.toContain(PASSWORD);
    expect(mails).toEqual([]);
  });
});
