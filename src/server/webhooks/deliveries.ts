// The webhook's front half and its delivery log: a request is checked (signature or token), its
// push parsed, mapped to environments by their deploy policy, and queued per environment
// (env-queue.ts). Each delivery is recorded through an injected `save` when it arrives and again
// whenever one of its deploys ends: refused, ignored, queued, then deployed, failed or
// superseded. Redelivery runs a recorded delivery's parsed push again (mapped with today's
// policy); nothing of the request but the parsed push is kept, and no secret ever is.
import { randomUUID } from 'node:crypto';
import type { Environment } from '../../config/fleet.ts';
import { UserError } from '../../diag/errors.ts';
import type { Secret } from '../../util/secret.ts';
import type { EnvQueue } from './env-queue.ts';
import { deliveryIdOf, detectProvider, eventOf, type HeaderSource, type Provider } from './headers.ts';
import { type PushEvent, parseDelivery } from './payloads.ts';
import { verifySignature } from './signature.ts';
import { targetsFor, type WebhookTrigger } from './targets.ts';

export type Verdict = 'refused' | 'ignored' | 'queued' | 'running' | 'deployed' | 'failed' | 'superseded';

/** Why a delivery was refused: its sender is unknown, its signature does not hold, or its body is not what it says. */
export type Refusal = 'unknown-provider' | 'signature' | 'payload';

/** What became of one environment's deploy. */
export interface DeliveryTarget {
  env: string;
  status: 'queued' | 'running' | 'deployed' | 'failed' | 'superseded';
  /** When its deploy started (after waiting for the environment's previous one). */
  startedAt?: number;
  /** The release the deploy made (from the runner's result). */
  release?: string;
  detail?: string;
  /** First line of the failure. */
  error?: string;
  /** The delivery whose newer push replaced this one while it waited. */
  supersededBy?: string;
  finishedAt?: number;
}

export interface Delivery {
  /** Ours, unique (a git host's redelivery repeats its own id). */
  id: string;
  /** The git host's delivery id (`X-GitHub-Delivery`, `X-Gitea-Delivery`, `X-Gitlab-Event-UUID`). */
  providerDeliveryId?: string;
  provider?: Provider;
  event?: string;
  receivedAt: number;
  verdict: Verdict;
  refusal?: Refusal;
  /** Why it was refused or ignored. */
  reason?: string;
  /** The parsed push, kept so that the delivery can be run again. */
  push?: PushEvent;
  targets: DeliveryTarget[];
  /** Environments whose trigger matched but whose policy refuses this push. */
  skipped: { env: string; reason: string }[];
  redeliveryOf?: string;
}

/** What the deploy runner is handed for one environment. */
export interface WebhookJob {
  deliveryId: string;
  push: PushEvent;
}

/** What the deploy runner returns, recorded in the delivery. */
export interface WebhookJobResult {
  release?: string;
  detail?: string;
}

export interface IncomingWebhook {
  /** From the route (`/webhooks/github`); detected from the headers when absent. */
  provider?: Provider;
  headers: HeaderSource;
  /** The body exactly as received: signatures are over these bytes. */
  body: Uint8Array | string;
}

/** What decides where a push goes, read afresh for each delivery. */
export interface Routing {
  environments: readonly Environment[];
  triggers?: readonly WebhookTrigger[];
  /** The apps of `env` that this push's repository deploys; an environment with none is left out. Absent: every environment matched is deployed. */
  appsFor?: (env: string, push: PushEvent) => readonly string[];
}

export interface WebhookContext {
  /** The webhook secret (GitLab: the token) of a provider; none refuses every delivery from it. */
  secret: (provider: Provider) => Secret | undefined | Promise<Secret | undefined>;
  /** The fleet's environments as they are now (when `routing` is not given). */
  environments?: () => readonly Environment[];
  triggers?: readonly WebhookTrigger[];
  /** The fleet's environments, triggers and apps as they are now; replaces `environments` and `triggers`. */
  routing?: () => Promise<Routing>;
  queue: EnvQueue<WebhookJob, WebhookJobResult>;
  save: (delivery: Delivery) => Promise<void>;
  now: () => number;
  newId?: () => string;
  /** Told when a background save fails (the delivery itself goes on). */
  onError?: (message: string) => void;
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

export class WebhookReceiver {
  readonly #ctx: WebhookContext;
  readonly #saves = new Map<string, Promise<void>>();
  readonly #pending = new Set<Promise<void>>();
  /** Deliveries with deploys not ended yet, by id (to record when each starts). */
  readonly #live = new Map<string, Delivery>();

  constructor(ctx: WebhookContext) {
    this.#ctx = ctx;
  }

  /** Checks, parses, maps and queues one request; resolves once its first record is saved (deploys go on). */
  async receive(req: IncomingWebhook): Promise<Delivery> {
    const { now } = this.#ctx;
    const provider = req.provider ?? detectProvider(req.headers);
    const base = { id: this.#id(), receivedAt: now(), targets: [], skipped: [] };
    if (!provider) return this.#record({ ...base, verdict: 'refused', refusal: 'unknown-provider', reason: 'no GitHub, GitLab or Gitea event header' });
    const event = eventOf(provider, req.headers);
    const providerDeliveryId = deliveryIdOf(provider, req.headers);
    const head = { ...base, provider, ...(providerDeliveryId ? { providerDeliveryId } : {}), ...(event !== undefined ? { event } : {}) };
    const check = verifySignature(provider, req.headers, req.body, await this.#ctx.secret(provider));
    if (!check.ok) return this.#record({ ...head, verdict: 'refused', refusal: 'signature', reason: check.reason });
    const body = typeof req.body === 'string' ? req.body : Buffer.from(req.body).toString('utf8');
    const parsed = parseDelivery(provider, event, body);
    if (parsed.outcome === 'malformed') return this.#record({ ...head, verdict: 'refused', refusal: 'payload', reason: parsed.reason });
    if (parsed.outcome === 'ignored') return this.#record({ ...head, verdict: 'ignored', reason: parsed.reason });
    return this.#dispatch({ ...head, verdict: 'queued', push: parsed.push });
  }

  /** Runs a recorded delivery's push again, as a new delivery. */
  async redeliver(original: Delivery): Promise<Delivery> {
    if (!original.push) {
      throw new UserError(
        `delivery ${original.id} was ${original.verdict} before a push was read from it: there is nothing to run again`,
        'fix the webhook (secret, content type) on the git host and push again, or redeliver it from there',
      );
    }
    const d: Delivery = {
      id: this.#id(),
      ...(original.provider ? { provider: original.provider } : {}),
      ...(original.event !== undefined ? { event: original.event } : {}),
      receivedAt: this.#ctx.now(),
      verdict: 'queued',
      push: original.push,
      targets: [],
      skipped: [],
      redeliveryOf: original.id,
    };
    return this.#dispatch(d);
  }

  /** Records that the deploy of `job` in `env` has started (the runner calls it when the queue hands the job over). */
  started(env: string, job: WebhookJob): void {
    const d = this.#live.get(job.deliveryId);
    const target = d?.targets.find((t) => t.env === env && t.status === 'queued');
    if (!d || !target) return;
    target.status = 'running';
    target.startedAt = this.#ctx.now();
    d.verdict = overall(d.targets);
    void this.#save(d);
  }

  /** Records when the deploy of `job` in `env` ended (before the queue starts the next one); its outcome follows. */
  ended(env: string, job: WebhookJob): void {
    const target = this.#live.get(job.deliveryId)?.targets.find((t) => t.env === env && t.status === 'running');
    if (target) target.finishedAt = this.#ctx.now();
  }

  /** Resolves when every queued deploy of the deliveries seen so far has ended and been saved. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  async #dispatch(d: Delivery): Promise<Delivery> {
    const push = d.push!;
    if (push.deleted) return this.#record({ ...d, verdict: 'ignored', reason: `${push.kind} ${push.name} was deleted` });
    const routing: Routing = this.#ctx.routing
      ? await this.#ctx.routing()
      : { environments: this.#ctx.environments?.() ?? [], ...(this.#ctx.triggers ? { triggers: this.#ctx.triggers } : {}) };
    const t = targetsFor(push, routing.environments, routing.triggers);
    d.skipped = t.refused;
    const envs = routing.appsFor ? t.envs.filter((env) => routing.appsFor!(env, push).length > 0) : t.envs;
    if (envs.length === 0) {
      const why = t.refused.length
        ? t.refused.map((r) => r.reason).join('; ')
        : t.envs.length
          ? `no app of ${t.envs.join(', ')} is fetched from ${push.repo.fullName} (control_plane.webhooks.repositories)`
          : `no environment deploys ${push.kind} ${push.name}`;
      return this.#record({ ...d, verdict: 'ignored', reason: why });
    }
    d.targets = envs.map((env) => ({ env, status: 'queued' }));
    this.#live.set(d.id, d);
    const recorded = await this.#record(d);
    const job: WebhookJob = { deliveryId: d.id, push };
    for (const target of d.targets) {
      const p = this.#ctx.queue.enqueue(target.env, job).then((o) => {
        target.finishedAt ??= this.#ctx.now();
        if (o.status === 'deployed') {
          target.status = 'deployed';
          if (o.result.release !== undefined) target.release = o.result.release;
          if (o.result.detail !== undefined) target.detail = o.result.detail;
        } else if (o.status === 'failed') {
          target.status = 'failed';
          target.error = firstLine(o.error);
        } else {
          target.status = 'superseded';
          target.supersededBy = o.by.deliveryId;
        }
        d.verdict = overall(d.targets);
        if (!d.targets.some((x) => x.status === 'queued' || x.status === 'running')) this.#live.delete(d.id);
        return this.#save(d);
      });
      this.#pending.add(p);
      void p.finally(() => this.#pending.delete(p));
    }
    return recorded;
  }

  async #record(d: Delivery): Promise<Delivery> {
    await this.#save(d, true);
    return structuredClone(d);
  }

  /** Saves a copy, in order per delivery; the first save's failure is the caller's, later ones are reported. */
  #save(d: Delivery, rethrow = false): Promise<void> {
    const copy = structuredClone(d);
    const prev = this.#saves.get(d.id) ?? Promise.resolve();
    const next = prev.then(() => this.#ctx.save(copy));
    const tail = next.catch((e) => {
      if (!rethrow) this.#ctx.onError?.(`could not record webhook delivery ${d.id}: ${firstLine(e)}`);
    });
    this.#saves.set(d.id, tail);
    void tail.then(() => {
      if (this.#saves.get(d.id) === tail) this.#saves.delete(d.id);
    });
    return rethrow ? next : tail;
  }

  #id(): string {
    return (this.#ctx.newId ?? randomUUID)();
  }
}

/** A delivery's verdict from its deploys: failed if one failed, running while one runs, queued while one waits, deployed if one deployed, else superseded. */
export function overall(targets: readonly DeliveryTarget[]): Verdict {
  if (targets.some((t) => t.status === 'failed')) return 'failed';
  if (targets.some((t) => t.status === 'running')) return 'running';
  if (targets.some((t) => t.status === 'queued')) return 'queued';
  if (targets.some((t) => t.status === 'deployed')) return 'deployed';
  return 'superseded';
}

/** The HTTP status to answer a delivery with: 401 for a bad signature, 400 for an unknown sender or body, else 202. */
export function httpStatus(d: Pick<Delivery, 'verdict' | 'refusal'>): 202 | 400 | 401 {
  if (d.verdict !== 'refused') return 202;
  return d.refusal === 'signature' ? 401 : 400;
}
