// The one place that names Slipway's Docker labels. Every container, network and volume Slipway
// owns carries `slipway.project`; anything without it is someone else's and is never touched.

export const LABELS = {
  project: 'slipway.project',
  app: 'slipway.app',
  env: 'slipway.env',
  process: 'slipway.process',
  /** Replica index of an app container (0-based). */
  replica: 'slipway.replica',
  release: 'slipway.release',
  /** `app`, `proxy`, `service`, `release-task`, `lock`, `state` or `probe`. */
  role: 'slipway.role',
  specHash: 'slipway.spec-hash',
  /** Which shared service a service container or volume belongs to. */
  service: 'slipway.service',
  /** `private`, `edge` or `app` on networks. */
  network: 'slipway.network',
  /** On `app` networks: the network's name in the compose file. */
  composeNetwork: 'slipway.compose-network',
  /**
   * Optional ordering hint on app containers: comma-separated `process` (same app and env) or
   * `app/process` (same env) entries this container starts after. Used only by `order`.
   */
  dependsOn: 'slipway.depends-on',
  /** Health path, in the compose export. */
  health: 'slipway.health',
  /** On release images: who built it, from which commit and ref. */
  builtBy: 'slipway.built-by',
  gitSha: 'slipway.git-sha',
  ref: 'slipway.ref',
} as const;

export type LabelName = keyof typeof LABELS;
