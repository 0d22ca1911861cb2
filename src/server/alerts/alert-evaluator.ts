// The alert evaluator: fed one observation at a time, it returns the transitions (firing or
// resolved) of each alert key. A condition fires once it has held in every observation for its
// rule's `forMs` (a pending condition that misses one observation starts over); a firing alert
// does not fire again while it keeps firing; it resolves once, in the first observation where it
// no longer holds. A part missing from an observation (undefined) leaves its alerts as they were,
// and so does an unreachable server (or an environment on one) for the alerts labelled with it,
// and a part not read on one server (`unread`) for that part's alerts labelled with the server.
// State lives in the evaluator (no module state); time comes from the injected clock. Its state
// can be saved and restored (the control plane keeps it across restarts, so that an alert still
// firing is not sent again and one that cleared meanwhile is resolved).
import { type AlertCondition, alertConditions, containerKey } from './alert-conditions.ts';
import type { AlertRuleName, AlertRules, AlertSeverity } from './alert-rules.ts';
import type { Observation } from './observation.ts';

export interface AlertTransition {
  status: 'firing' | 'resolved';
  key: string;
  rule: AlertRuleName;
  severity: AlertSeverity;
  labels: Record<string, string>;
  title: string;
  /** The figures when it fired (for a resolved alert: the last figures seen while it held). */
  detail: string;
  /** When the condition started to hold, epoch ms. */
  since: number;
  /** When this transition happened, epoch ms. */
  at: number;
}

export interface AlertEvaluatorOptions {
  rules: AlertRules;
  now: () => number;
}

/** An alert whose condition holds now: `pending` until it has held for its rule's `forMs`. */
export interface ActiveAlert {
  status: 'pending' | 'firing';
  key: string;
  rule: AlertRuleName;
  severity: AlertSeverity;
  labels: Record<string, string>;
  title: string;
  detail: string;
  since: number;
}

/** The evaluator's state as plain JSON (see snapshot/restore). */
export interface EvaluatorSnapshot {
  version: 1;
  states: { condition: AlertCondition; since: number; firing: boolean; firedAt?: number }[];
  restarts: { key: string; restarts: number; lastIncreaseAt?: number }[];
}

export interface AlertEvaluator {
  evaluate(obs: Observation): AlertTransition[];
  /** The alerts firing now. */
  firing(): AlertTransition[];
  /** Every alert whose condition holds now, firing or still pending. */
  active(): ActiveAlert[];
  snapshot(): EvaluatorSnapshot;
  /** Replaces the state with a snapshot (a malformed one is ignored). */
  restore(snapshot: EvaluatorSnapshot): void;
  /** Replaces the rules (the fleet file changed); conditions they no longer raise resolve on the next evaluation. */
  setRules(rules: AlertRules): void;
}

interface KeyState {
  condition: AlertCondition;
  since: number;
  firing: boolean;
  firedAt?: number;
}

interface RestartState {
  restarts: number;
  lastIncreaseAt?: number;
}

export function createAlertEvaluator(opts: AlertEvaluatorOptions): AlertEvaluator {
  let rules = opts.rules;
  const states = new Map<string, KeyState>();
  const restarts = new Map<string, RestartState>();

  const transition = (status: AlertTransition['status'], s: KeyState, at: number): AlertTransition => {
    const c = s.condition;
    return { status, key: c.key, rule: c.rule, severity: c.severity, labels: c.labels, title: c.title, detail: c.detail, since: s.since, at };
  };

  const trackRestarts = (obs: Observation, now: number) => {
    if (!obs.containers) return;
    const seen = new Set<string>();
    for (const c of obs.containers) {
      const key = containerKey(c);
      seen.add(key);
      const prev = restarts.get(key);
      restarts.set(key, { restarts: c.restarts, lastIncreaseAt: prev && c.restarts > prev.restarts ? now : prev?.lastIncreaseAt });
    }
    for (const key of restarts.keys()) if (!seen.has(key)) restarts.delete(key);
  };

  return {
    evaluate(obs) {
      const now = opts.now();
      trackRestarts(obs, now);
      const holding = alertConditions(obs, rules, now, (key) => restarts.get(key)?.lastIncreaseAt);
      const out: AlertTransition[] = [];
      const held = new Set<string>();
      for (const c of holding) {
        held.add(c.key);
        let s = states.get(c.key);
        if (!s) states.set(c.key, (s = { condition: c, since: now, firing: false }));
        // A firing alert keeps the title it fired with, so that its resolved message matches.
        s.condition = s.firing ? { ...c, title: s.condition.title } : c;
        if (!s.firing && now - s.since >= c.forMs) {
          s.firing = true;
          s.firedAt = now;
          out.push(transition('firing', s, now));
        }
      }
      const downServers = new Set(obs.unreachable?.servers ?? []);
      const downEnvs = new Set(obs.unreachable?.envs ?? []);
      const unread = (c: AlertCondition) => {
        const u = obs.unread?.[c.part];
        return (
          (c.labels.server !== undefined && u?.servers?.includes(c.labels.server) === true) ||
          (c.labels.env !== undefined && u?.envs?.includes(c.labels.env) === true)
        );
      };
      const unseen = (c: AlertCondition) =>
        obs[c.part] === undefined ||
        (c.labels.server !== undefined && downServers.has(c.labels.server)) ||
        (c.labels.env !== undefined && downEnvs.has(c.labels.env)) ||
        unread(c);
      for (const [key, s] of states) {
        if (held.has(key) || unseen(s.condition)) continue;
        states.delete(key);
        if (s.firing) out.push(transition('resolved', s, now));
      }
      return out;
    },
    firing() {
      return [...states.values()].filter((s) => s.firing).map((s) => transition('firing', s, s.firedAt ?? s.since));
    },
    active() {
      return [...states.values()].map((s) => {
        const c = s.condition;
        return {
          status: s.firing ? 'firing' : 'pending',
          key: c.key,
          rule: c.rule,
          severity: c.severity,
          labels: c.labels,
          title: c.title,
          detail: c.detail,
          since: s.since,
        };
      });
    },
    snapshot() {
      return {
        version: 1,
        states: [...states.values()].map((s) => ({
          condition: s.condition,
          since: s.since,
          firing: s.firing,
          ...(s.firedAt !== undefined ? { firedAt: s.firedAt } : {}),
        })),
        restarts: [...restarts].map(([key, r]) => ({
          key,
          restarts: r.restarts,
          ...(r.lastIncreaseAt !== undefined ? { lastIncreaseAt: r.lastIncreaseAt } : {}),
        })),
      };
    },
    restore(snap) {
      if (snap?.version !== 1 || !Array.isArray(snap.states) || !Array.isArray(snap.restarts)) return;
      states.clear();
      restarts.clear();
      for (const s of snap.states) if (s?.condition?.key) states.set(s.condition.key, { ...s, condition: s.condition });
      for (const r of snap.restarts) if (r?.key) restarts.set(r.key, { restarts: r.restarts, lastIncreaseAt: r.lastIncreaseAt });
    },
    setRules(next) {
      rules = next;
    },
  };
}
