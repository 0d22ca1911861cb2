// The git webhooks part of `slipway serve`: POST /hooks/git and the delivery list
// (routes/webhook-routes.ts) over the receiver (webhooks/deliveries.ts: signature, payload,
// targets by deploy policy), a per-environment queue where the newest push wins
// (webhooks/env-queue.ts), and the deploy runner (webhooks/webhook-deploy.ts: fetch with the
// deploy key, then the CLI's deploy workflow through the ops port). Settings are read from the
// fleet file's `control_plane.webhooks` for every delivery; the signing secret is looked up by
// name and kept for a short while, so a burst of requests does not open a session each.
import type { Environment } from '../../config/fleet.ts';
import { webhookRoutes } from '../routes/webhook-routes.ts';
import type { ServePart, ServePartFactory, ServePartInput } from '../serve-part.ts';
import { type Routing, WebhookReceiver } from '../webhooks/deliveries.ts';
import { DeliveryLog } from '../webhooks/delivery-log.ts';
import { EnvQueue } from '../webhooks/env-queue.ts';
import type { WebhookJob, WebhookJobResult } from '../webhooks/deliveries.ts';
import { appsForPush } from '../webhooks/repo-match.ts';
import { webhookDeployer } from '../webhooks/webhook-deploy.ts';
import type { Secret } from '../../util/secret.ts';

/** How long a looked-up signing secret is reused before it is read again. */
const SECRET_TTL_MS = 30_000;

export const webhookPart: ServePartFactory = (input: ServePartInput): ServePart => {
  const log = (line: string) => input.log.write(`${line}\n`);
  const deliveries = new DeliveryLog(input.store);
  const deploy = webhookDeployer({
    loadFleet: input.loadFleet,
    ops: input.ops,
    secret: input.secret,
    dataDir: input.data,
    now: input.now,
    env: input.env,
    log,
  });
  let receiver!: WebhookReceiver;
  const queue = new EnvQueue<WebhookJob, WebhookJobResult>({
    run: async (env, job) => {
      receiver.started(env, job);
      try {
        return await deploy(env, job);
      } finally {
        receiver.ended(env, job);
      }
    },
  });
  const signingSecret = cachedSecret(input);
  receiver = new WebhookReceiver({
    secret: () => signingSecret(),
    routing: async (): Promise<Routing> => {
      const fleet = await input.loadFleet();
      const environments: readonly Environment[] = fleet.environments;
      return { environments, triggers: fleet.controlPlane.webhooks.triggers, appsFor: (env, push) => appsForPush(fleet, env, push) };
    },
    queue,
    save: (d) => deliveries.save(d),
    now: input.now,
    onError: log,
  });

  return {
    name: 'webhooks',
    routes(app, s) {
      webhookRoutes(app, s, { receiver, deliveries });
    },
    async start() {
      const n = await deliveries.interrupted(input.now());
      if (n > 0) log(`webhooks: ${n} deliver${n === 1 ? 'y' : 'ies'} left unfinished by the previous serve marked failed`);
      // Stopping lets the deploys under way end (a deploy cut off halfway would hold the environment's lock).
      return async () => receiver.settled();
    },
  };
};

function cachedSecret(input: ServePartInput): () => Promise<Secret | undefined> {
  let cached: { name: string; at: number; value: Promise<Secret | undefined> } | undefined;
  return async () => {
    const name = (await input.loadFleet()).controlPlane.webhooks.secretName;
    if (name === undefined) return undefined;
    const now = input.now();
    if (!cached || cached.name !== name || now - cached.at > SECRET_TTL_MS) {
      const value = input.secret(name);
      cached = { name, at: now, value };
      // A failed lookup is not kept.
      value.catch(() => {
        if (cached?.value === value) cached = undefined;
      });
    }
    return cached.value;
  };
}
