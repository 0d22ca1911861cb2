// The webhook end to end in process: signed GitHub/GitLab/Gitea deliveries (HMACs computed here
// over the fixture bodies) are verified, mapped by the fleet's deploy policy and deployed through
// the per-environment queue; every verdict is saved; two quick pushes end with one deploy of the
// newest; a redelivery runs the same push again.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { type DeployPolicy, defaultTls, type Environment } from '../../config/fleet.ts';
import { Secret } from '../../util/secret.ts';
import { type Delivery, httpStatus, WebhookReceiver, type WebhookJob, type WebhookJobResult } from './deliveries.ts';
import { EnvQueue } from './env-queue.ts';
import type { Provider } from './headers.ts';

const SECRET = 'whsec-0123456789abcdef';
const env = (name: string, deploy: DeployPolicy, prot = false): Environment => ({
  name,
  server: 'vps1',
  deploy,
  protected: prot,
  auth: null,
  rateLimit: null,
  domain: null,
  tls: defaultTls('off'),
  limits: {},
});
const ENVS = [env('dev', { kind: 'any' }), env('staging', { kind: 'branch', branches: ['develop'] }), env('prod', { kind: 'tags', pattern: 'v*' }, true)];

const fixture = (name: string, f?: (j: Record<string, unknown>) => void) => {
  const text = readFileSync(new URL(`./__fixtures__/${name}.json`, import.meta.url), 'utf8');
  if (!f) return text;
  const j = JSON.parse(text) as Record<string, unknown>;
  f(j);
  return JSON.stringify(j, null, 2);
};
const hmac = (body: string, key = SECRET) => createHmac('sha256', key).update(body).digest('hex');

/** A request as the provider sends it, signed with `key`. */
function signed(provider: Provider, event: string, body: string, key = SECRET) {
  const id = `d-${Math.random().toString(16).slice(2)}`;
  const headers: Record<string, string> =
    provider === 'github'
      ? { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': id, 'x-hub-signature-256': `sha256=${hmac(body, key)}` }
      : provider === 'gitea'
        ? {
            'x-github-event': event,
            'x-gitea-event': event,
            'x-gitea-delivery': id,
            'x-gitea-signature': hmac(body, key),
            'x-hub-signature-256': 'sha256=ignored',
          }
        : { 'x-gitlab-event': event, 'x-gitlab-event-uuid': id, 'x-gitlab-token': key };
  return { headers, body: Buffer.from(body) };
}

interface Gate {
  opened: Promise<void>;
  open: () => void;
}
const gate = (): Gate => {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
};

function setup(opts: { hold?: boolean; fail?: (env: string, job: WebhookJob) => boolean } = {}) {
  let t = 1_700_000_000_000;
  let n = 0;
  const saved: Delivery[] = [];
  const deploys: { env: string; ref: string; sha: string; delivery: string }[] = [];
  const active = new Map<string, number>();
  const maxActive = new Map<string, number>();
  const gates: Gate[] = [];
  const queue = new EnvQueue<WebhookJob, WebhookJobResult>({
    run: async (e, job) => {
      active.set(e, (active.get(e) ?? 0) + 1);
      maxActive.set(e, Math.max(maxActive.get(e) ?? 0, active.get(e)!));
      deploys.push({ env: e, ref: job.push.name, sha: job.push.sha, delivery: job.deliveryId });
      if (opts.hold) {
        const g = gate();
        gates.push(g);
        await g.opened;
      }
      active.set(e, active.get(e)! - 1);
      if (opts.fail?.(e, job)) throw new Error(`docker build failed for ${job.push.name}\n  at build (build-run.ts:1)`);
      return { release: `r-${job.push.sha.slice(0, 7)}`, detail: `${job.push.kind} ${job.push.name}` };
    },
  });
  const receiver = new WebhookReceiver({
    secret: () => new Secret(SECRET),
    environments: () => ENVS,
    queue,
    save: async (d) => void saved.push(d),
    now: () => (t += 1000),
    newId: () => `w${++n}`,
  });
  const last = (id: string) => saved.filter((d) => d.id === id).at(-1)!;
  return { receiver, queue, saved, deploys, maxActive, gates, last };
}

describe('WebhookReceiver', () => {
  it('a signed GitHub push to develop deploys dev and staging; the log goes queued → deployed', async () => {
    const s = setup();
    const d = await s.receiver.receive({ provider: 'github', ...signed('github', 'push', fixture('github-push')) });
    expect(d).toMatchObject({ id: 'w1', provider: 'github', event: 'push', verdict: 'queued', targets: [{ env: 'dev' }, { env: 'staging' }] });
    expect(d.providerDeliveryId).toMatch(/^d-/);
    expect(httpStatus(d)).toBe(202);
    await s.receiver.settled();
    expect(s.deploys.map((x) => `${x.env} ${x.ref}`).sort()).toEqual(['dev develop', 'staging develop']);
    expect(s.last('w1')).toMatchObject({
      verdict: 'deployed',
      targets: [
        { env: 'dev', status: 'deployed', release: 'r-0d1a26e', detail: 'branch develop' },
        { env: 'staging', status: 'deployed', release: 'r-0d1a26e' },
      ],
    });
    expect(s.saved.map((x) => x.verdict)).toEqual(['queued', 'queued', 'deployed']);
  });

  it('a signed v1.3.0 tag deploys prod only (provider detected from the headers)', async () => {
    const s = setup();
    const d = await s.receiver.receive(signed('github', 'push', fixture('github-tag')));
    expect(d.targets.map((t) => t.env)).toEqual(['prod']);
    await s.receiver.settled();
    expect(s.deploys).toEqual([{ env: 'prod', ref: 'v1.3.0', sha: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c', delivery: 'w1' }]);
    expect(s.last('w1').verdict).toBe('deployed');
  });

  it('GitLab tag push and Gitea branch push go the same way', async () => {
    const s = setup();
    await s.receiver.receive(signed('gitlab', 'Tag Push Hook', fixture('gitlab-tag')));
    await s.receiver.receive(signed('gitea', 'push', fixture('gitea-push')));
    await s.receiver.settled();
    expect(s.deploys.map((x) => `${x.env} ${x.ref} ${x.delivery}`).sort()).toEqual(['dev develop w2', 'prod v1.3.0 w1', 'staging develop w2']);
    expect(s.last('w2')).toMatchObject({ provider: 'gitea', verdict: 'deployed' });
  });

  it('a bad signature is refused (401) and logged, and nothing runs', async () => {
    const s = setup();
    const d = await s.receiver.receive(signed('github', 'push', fixture('github-push'), 'not-the-secret'));
    expect(d).toMatchObject({ verdict: 'refused', refusal: 'signature', reason: expect.stringMatching(/does not match/) });
    expect(d.push).toBeUndefined();
    expect(httpStatus(d)).toBe(401);
    const token = await s.receiver.receive(signed('gitlab', 'Push Hook', fixture('gitlab-push'), 'guess'));
    expect(token).toMatchObject({ verdict: 'refused', refusal: 'signature' });
    await s.receiver.settled();
    expect(s.deploys).toEqual([]);
    expect(s.saved.map((x) => x.verdict)).toEqual(['refused', 'refused']);
    expect(JSON.stringify(s.saved)).not.toContain(SECRET);
  });

  it('refuses an unknown sender and a malformed body (400); ignores ping, branch deletions and unmatched tags', async () => {
    const s = setup();
    expect(await s.receiver.receive({ headers: {}, body: '{}' })).toMatchObject({ verdict: 'refused', refusal: 'unknown-provider' });
    const form = await s.receiver.receive(signed('github', 'push', 'payload=%7B%7D'));
    expect(form).toMatchObject({ verdict: 'refused', refusal: 'payload', reason: expect.stringMatching(/not JSON/) });
    expect(httpStatus(form)).toBe(400);
    expect(await s.receiver.receive(signed('github', 'ping', JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 })))).toMatchObject({
      verdict: 'ignored',
      reason: 'a "ping" event is not a push or a tag',
    });
    const deleted = fixture('github-push', (j) => {
      j.deleted = true;
      j.after = '0'.repeat(40);
      j.head_commit = null;
    });
    expect(await s.receiver.receive(signed('github', 'push', deleted))).toMatchObject({ verdict: 'ignored', reason: 'branch develop was deleted' });
    const nightly = fixture('github-tag', (j) => (j.ref = 'refs/tags/nightly-42'));
    expect(await s.receiver.receive(signed('github', 'push', nightly))).toMatchObject({ verdict: 'ignored', reason: 'no environment deploys tag nightly-42' });
    await s.receiver.settled();
    expect(s.deploys).toEqual([]);
  });

  it('two quick pushes while a deploy runs: one deploy of the newest after it, the older one superseded, no overlap', async () => {
    const s = setup({ hold: true });
    const push = (sha: string) =>
      fixture('github-push', (j) => {
        j.after = sha;
        (j.head_commit as { id: string }).id = sha;
      });
    await s.receiver.receive(signed('github', 'push', push('1'.repeat(40))));
    expect(s.deploys.map((d) => d.env).sort()).toEqual(['dev', 'staging']);
    await s.receiver.receive(signed('github', 'push', push('2'.repeat(40))));
    await s.receiver.receive(signed('github', 'push', push('3'.repeat(40))));
    await vi.waitFor(() => expect(s.last('w2').verdict).toBe('superseded'));
    expect(s.last('w2')).toMatchObject({
      verdict: 'superseded',
      targets: [
        { status: 'superseded', supersededBy: 'w3' },
        { status: 'superseded', supersededBy: 'w3' },
      ],
    });
    // Let everything through, as the runs come.
    while (s.gates.length < 4) {
      await new Promise((r) => setImmediate(r));
      for (const g of s.gates) g.open();
    }
    for (const g of s.gates) g.open();
    await s.receiver.settled();
    expect(s.deploys.map((d) => `${d.env} ${d.sha[0]}`)).toEqual(['dev 1', 'staging 1', 'dev 3', 'staging 3']);
    expect(s.maxActive.get('dev')).toBe(1);
    expect(s.maxActive.get('staging')).toBe(1);
    expect(s.last('w1').verdict).toBe('deployed');
    expect(s.last('w3')).toMatchObject({ verdict: 'deployed', targets: [{ release: 'r-3333333' }, { release: 'r-3333333' }] });
  });

  it('a failed deploy is recorded with its first line; redelivery runs the same push again as a new delivery', async () => {
    let failing = true;
    const s = setup({ fail: (e) => failing && e === 'prod' });
    const d = await s.receiver.receive(signed('github', 'push', fixture('github-tag')));
    await s.receiver.settled();
    expect(s.last(d.id)).toMatchObject({ verdict: 'failed', targets: [{ env: 'prod', status: 'failed', error: 'docker build failed for v1.3.0' }] });
    failing = false;
    const again = await s.receiver.redeliver(s.last(d.id));
    expect(again).toMatchObject({ id: 'w2', redeliveryOf: 'w1', verdict: 'queued', push: s.last(d.id).push });
    await s.receiver.settled();
    expect(s.last('w2')).toMatchObject({ verdict: 'deployed', targets: [{ env: 'prod', status: 'deployed' }] });
    expect(s.deploys.map((x) => `${x.env} ${x.ref} ${x.delivery}`)).toEqual(['prod v1.3.0 w1', 'prod v1.3.0 w2']);
  });

  it('a refused delivery cannot be redelivered: there is no push in it', async () => {
    const s = setup();
    const d = await s.receiver.receive(signed('github', 'push', fixture('github-push'), 'wrong-secret'));
    await expect(s.receiver.redeliver(d)).rejects.toThrow(/refused before a push was read/);
  });
});
