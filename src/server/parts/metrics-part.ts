// The metrics and alerts part of `slipway serve`. Routes: GET /metrics, GET /api/servers, GET
// /api/alerts (routes/metrics-routes.ts). Background: every `intervalMs` (30 s unless a test
// lowers it) the fleet is sampled over its engines (metrics/fleet-sampler.ts: the servers'
// figures, containers, backups and drills, certificates), the alert evaluator runs with the
// default rules overlaid by the fleet file's `control_plane.alerts` (re-read each time); a server
// not reached keeps its alerts, one whose part alone was not read keeps that part's; its transitions go to `control_plane.notify` (Slack-compatible
// webhooks, email over SMTP) through the dispatcher: each once per notifier, failures retried on
// the next round. The evaluator's and the dispatcher's state is saved in the data directory
// (`alerts.json`) after each round and restored on start, so a restart neither sends an alert
// again nor forgets to resolve one. Secrets (webhook URLs, the SMTP password, the metrics token)
// are looked up when used and kept for a minute; they never reach a log line.
import type { Fleet } from '../../config/fleet.ts';
import type { NotifySettings } from '../../config/control-plane.ts';
import type { Secret } from '../../util/secret.ts';
import { createAlertDispatcher, type AlertDispatcher, type DispatcherSnapshot } from '../alerts/alert-dispatcher.ts';
import { createAlertEvaluator, type EvaluatorSnapshot } from '../alerts/alert-evaluator.ts';
import { alertRules } from '../alerts/alert-rules.ts';
import { createEmailNotifier } from '../alerts/email-notifier.ts';
import { alertSubject, type Notifier } from '../alerts/notifier.ts';
import { createWebhookNotifier } from '../alerts/webhook-notifier.ts';
import { createMetrics } from '../metrics/create-metrics.ts';
import { createFleetSampler, type FleetSample } from '../metrics/fleet-sampler.ts';
import { metricsRoutes } from '../routes/metrics-routes.ts';
import type { ServePart, ServePartFactory, ServePartInput } from '../serve-part.ts';

export interface MetricsPartOptions {
  /** How often the alert loop samples the fleet; default 30 s. */
  intervalMs?: number;
  /** How long a looked-up secret is kept; default 60 s. */
  secretTtlMs?: number;
  /** SMTP without STARTTLS (a local test sink only). */
  smtpIgnoreTls?: boolean;
  /** Replaces the sampling of the fleet over its engines (tests give a fake fleet). */
  sample?: () => Promise<FleetSample>;
}

/** The part, and one round of the alert loop on demand (tests drive rounds with a fake clock). */
export interface MetricsPart extends ServePart {
  round(): Promise<void>;
}

const STATE_DOC = 'alerts';
const SECRET_MISSING = (name: string) => `the secret ${name} is not set (slipway secret set ${name})`;

interface SavedState {
  evaluator?: EvaluatorSnapshot;
  dispatcher?: DispatcherSnapshot;
}

/** Secrets by name, looked up through the serve input and kept `ttlMs`. */
function secretCache(lookup: ServePartInput['secret'], now: () => number, ttlMs: number): (name: string) => Promise<Secret | undefined> {
  const kept = new Map<string, { at: number; value: Promise<Secret | undefined> }>();
  return (name) => {
    const k = kept.get(name);
    if (k && now() - k.at < ttlMs) return k.value;
    const value = lookup(name);
    kept.set(name, { at: now(), value });
    value.catch(() => kept.delete(name));
    return value;
  };
}

/** The notifiers `notify` configures; each resolves its secrets when it sends. */
function notifiersOf(notify: NotifySettings, secret: (name: string) => Promise<Secret | undefined>, opts: MetricsPartOptions): Notifier[] {
  const out: Notifier[] = notify.webhooks.map((w) => ({
    name: `webhook ${w.name}`,
    async send(t) {
      const url = await secret(w.urlSecret);
      if (!url) throw new Error(`webhook ${w.name}: ${SECRET_MISSING(w.urlSecret)}`);
      await createWebhookNotifier({ name: w.name, url }).send(t);
    },
  }));
  const e = notify.email;
  if (e)
    out.push({
      name: 'email',
      async send(t) {
        let pass: Secret | undefined;
        if (e.passwordSecret) {
          pass = await secret(e.passwordSecret);
          if (!pass) throw new Error(`email: ${SECRET_MISSING(e.passwordSecret)}`);
        }
        await createEmailNotifier({
          host: e.host,
          port: e.port,
          from: e.from,
          to: e.to,
          ...(e.secure !== undefined ? { secure: e.secure } : {}),
          ...(e.requireTls !== undefined ? { requireTLS: e.requireTls } : {}),
          ...(opts.smtpIgnoreTls ? { ignoreTLS: true } : {}),
          ...(e.user && pass ? { auth: { user: e.user, pass } } : {}),
        }).send(t);
      },
    });
  return out;
}

export function metricsPart(options: MetricsPartOptions = {}): ServePartFactory {
  return (input) => createMetricsPart(input, options);
}

export function createMetricsPart(input: ServePartInput, options: MetricsPartOptions = {}): MetricsPart {
  const intervalMs = options.intervalMs ?? 30_000;
  const now = input.now;
  const secret = secretCache(input.secret, now, options.secretTtlMs ?? 60_000);
  const sampler = createFleetSampler({
    loadFleet: input.loadFleet,
    io: {
      stderr: { write: () => undefined },
      now,
      env: input.env,
      cwd: input.cwd,
      ...(input.connector ? { connector: input.connector } : {}),
    },
    ...(input.identity ? { identity: input.identity } : {}),
    maxAgeMs: Math.min(2000, Math.max(0, intervalMs / 2)),
  });
  const sampleFleet = options.sample ?? sampler.sample;
  const metrics = createMetrics({ source: sampler, now });
  const evaluator = createAlertEvaluator({ rules: alertRules(), now });
  let dispatcher: AlertDispatcher = createAlertDispatcher({ notifiers: [], now });
  let notifyKey = '[]';
  let saved = '';
  const log = (line: string) => input.log.write(`alerts: ${line}\n`);

  const useNotify = (fleet: Fleet) => {
    const key = JSON.stringify(fleet.controlPlane.notify);
    if (key === notifyKey) return;
    const snap = dispatcher.snapshot();
    dispatcher = createAlertDispatcher({ notifiers: notifiersOf(fleet.controlPlane.notify, secret, options), now });
    dispatcher.restore(snap);
    notifyKey = key;
  };

  const save = async () => {
    const state: SavedState = { evaluator: evaluator.snapshot(), dispatcher: dispatcher.snapshot() };
    const text = JSON.stringify(state);
    if (text === saved) return;
    await input.store.write(STATE_DOC, state);
    saved = text;
  };

  const round = async (): Promise<void> => {
    let fleet: Fleet;
    let sample: FleetSample;
    try {
      fleet = await input.loadFleet();
      sample = await sampleFleet();
    } catch (e) {
      log(`could not sample the fleet: ${(e as Error).message.split('\n')[0]}`);
      return;
    }
    evaluator.setRules(alertRules(fleet.controlPlane.alerts));
    useNotify(fleet);
    const sampled = new Set(sample.serverSamples.map((s) => s.server));
    const down = new Set(sample.unreachable.servers);
    const envsOn = (servers: string[]) => fleet.environments.filter((e) => servers.includes(e.server)).map((e) => e.name);
    // A server not reached keeps all its alerts as they were; one reached keeps those of the parts it could not be read for.
    const figuresUnread = sample.servers.filter((s) => !sampled.has(s.name) && !down.has(s.name)).map((s) => s.name);
    const transitions = evaluator.evaluate({
      servers: sample.serverSamples,
      containers: sample.containers,
      backups: sample.backups,
      ...(sample.certificates ? { certificates: sample.certificates } : {}),
      unreachable: { servers: [...down], envs: envsOn([...down]) },
      unread: {
        servers: { servers: figuresUnread },
        backups: { envs: envsOn(sample.unread?.backups ?? []) },
        certificates: { servers: sample.unread?.certificates ?? [] },
      },
    });
    for (const t of transitions) log(alertSubject(t));
    const result = await dispatcher.dispatch(transitions);
    for (const f of result.failed) log(`${f.notifier} could not send ${f.status} ${f.key} (attempt ${f.attempts}, retried next round): ${f.error}`);
    await save().catch((e: Error) => log(`could not save the alert state: ${e.message}`));
  };

  return {
    name: 'metrics',
    round,
    routes(app, s) {
      metricsRoutes(app, s, {
        registry: metrics.registry,
        servers: async () => (await sampleFleet()).servers,
        alerts: () => evaluator.active(),
        metricsToken: async () => {
          const name = (await input.loadFleet()).controlPlane.metricsTokenSecret;
          return name ? secret(name) : undefined;
        },
      });
    },
    async start() {
      const state = await input.store.read<SavedState>(STATE_DOC).catch(() => undefined);
      if (state?.evaluator) evaluator.restore(state.evaluator);
      if (state?.dispatcher) {
        // The notifiers come from the fleet file; their saved outboxes are taken over by name.
        try {
          useNotify(await input.loadFleet());
        } catch {
          // the first round reports it
        }
        dispatcher.restore(state.dispatcher);
      }
      saved = JSON.stringify(state ?? {});
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      let running: Promise<void> = Promise.resolve();
      const loop = () => {
        if (stopped) return;
        running = round()
          .catch((e: Error) => log(`round failed: ${e.message}`))
          .finally(() => {
            if (!stopped) timer = setTimeout(loop, intervalMs);
          });
      };
      loop();
      return async () => {
        stopped = true;
        clearTimeout(timer);
        await running;
      };
    },
  };
}
