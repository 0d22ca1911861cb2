// Who may do what (pure). A principal is a logged-in user or an API token, each with a role:
// - viewer: view only;
// - deployer: view, deploy, rollback, maintenance and backup, except that a protected environment
//   takes deploys and rollbacks from admins only;
// - admin: everything, including users, tokens and the audit log.
// A token limited to some environments is refused for any other, and for admin actions (an
// env-limited admin token could otherwise mint an unlimited one).
export const ROLES = ['viewer', 'deployer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ACTIONS = ['view', 'deploy', 'rollback', 'maintenance', 'backup', 'admin'] as const;
export type Action = (typeof ACTIONS)[number];

export interface Principal {
  kind: 'user' | 'token';
  /** The user name, or the token's name. */
  name: string;
  role: Role;
  /** For tokens limited to some environments: those environments. */
  envs?: readonly string[];
}

/** What authorization needs to know about the environment acted on. */
export interface EnvPolicyInfo {
  protected: boolean;
}

export type Decision = { ok: true } | { ok: false; reason: string; hint: string };

const DEPLOYER_ACTIONS: ReadonlySet<Action> = new Set(['view', 'deploy', 'rollback', 'maintenance', 'backup']);
const ADMIN_ONLY_WHEN_PROTECTED: ReadonlySet<Action> = new Set(['deploy', 'rollback']);

/** The principal's label in audit entries and messages: `alice`, or `token ci-staging`. */
export function principalLabel(p: Principal): string {
  return p.kind === 'token' ? `token ${p.name}` : p.name;
}

export function authorize(principal: Principal, action: Action, env?: string, envInfo?: EnvPolicyInfo): Decision {
  const who = principalLabel(principal);
  if (principal.envs !== undefined) {
    if (action === 'admin')
      return refuse(
        `${who} is limited to environments (${principal.envs.join(', ')}) and cannot do admin actions`,
        'use an unlimited admin token or log in as an admin',
      );
    if (env !== undefined && !principal.envs.includes(env))
      return refuse(`${who} is limited to ${principal.envs.join(', ')} and may not act on ${env}`, `use a token allowed for ${env}`);
    if (env === undefined && action !== 'view') return refuse(`${who} is limited to some environments and ${action} names none`, 'name the environment');
  }
  if (principal.role === 'admin') return { ok: true };
  if (principal.role === 'viewer') {
    return action === 'view' ? { ok: true } : refuse(`${who} is a viewer and may not ${action}`, 'ask an admin for the deployer role');
  }
  if (!DEPLOYER_ACTIONS.has(action)) return refuse(`${who} is a deployer and may not do admin actions`, 'ask an admin');
  if (envInfo?.protected && ADMIN_ONLY_WHEN_PROTECTED.has(action))
    return refuse(
      `${env ?? 'this environment'} is protected: only admins may ${action} it`,
      'ask an admin, or deploy a tag through the webhook as the deploy policy says',
    );
  return { ok: true };
}

function refuse(reason: string, hint: string): Decision {
  return { ok: false, reason, hint };
}
