// Which environments a push deploys. The fleet's deploy policy says what each environment accepts
// (`{ branch: develop }`, `{ tags: "v*" }`, `any`); a push auto-deploys an environment when its
// trigger matches and the policy allows it. The fleet file has no field naming what auto-deploys,
// so triggers default from the policy (its branches; its tag pattern; every branch for `any`) and
// may be given explicitly (`WebhookTrigger`). A protected environment takes webhook deploys only
// from a tag.
import type { DeployPolicy, Environment } from '../../config/fleet.ts';
import { UserError } from '../../diag/errors.ts';
import { enforcePolicy, globMatch } from '../../workflows/deploy-policy.ts';
import type { PushEvent } from './payloads.ts';

/** What pushes deploy one environment through the webhook (globs, `*` and `?`). */
export interface WebhookTrigger {
  env: string;
  /** Branch name globs; none: branch pushes never deploy it. */
  branches?: readonly string[];
  /** Tag name glob; none: tag pushes never deploy it. */
  tags?: string;
}

export interface Targets {
  /** Environments to deploy, in fleet order. */
  envs: string[];
  /** Environments a trigger named (or whose policy would match) but that refuse this push, and why. */
  refused: { env: string; reason: string }[];
}

/** The trigger an environment gets from its deploy policy when none is given. */
export function defaultTrigger(env: string, policy: DeployPolicy): WebhookTrigger {
  if (policy.kind === 'branch') return { env, branches: policy.branches };
  if (policy.kind === 'tags') return { env, tags: policy.pattern };
  return { env, branches: ['*'] };
}

/** The environments `push` deploys; `triggers` replace the policy-derived ones of the environments they name. */
export function targetsFor(push: Pick<PushEvent, 'kind' | 'name'>, envs: readonly Environment[], triggers: readonly WebhookTrigger[] = []): Targets {
  const out: Targets = { envs: [], refused: [] };
  for (const env of envs) {
    const trigger = triggers.find((t) => t.env === env.name) ?? defaultTrigger(env.name, env.deploy);
    const matches =
      push.kind === 'branch' ? (trigger.branches ?? []).some((g) => globMatch(g, push.name)) : trigger.tags !== undefined && globMatch(trigger.tags, push.name);
    if (!matches) continue;
    if (env.protected && push.kind !== 'tag') {
      out.refused.push({ env: env.name, reason: `${env.name} is protected: the webhook deploys it only from a tag` });
      continue;
    }
    try {
      enforcePolicy(env, { ref: push.name, kind: push.kind });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      out.refused.push({ env: env.name, reason: e.message });
      continue;
    }
    out.envs.push(env.name);
  }
  return out;
}
