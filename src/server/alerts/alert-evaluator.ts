// The alert evaluator: fed one observation at a time, it returns the transitions (firing or
// resolved) of each alert key. A condition fires once it has held in every observation for its
// rule's `forMs` (a pending condition that misses one observation starts over); a firing alert
// does not fire again while it keeps firing; it resolves once, in the first observation where it
// no longer holds. A part missing from an observation (undefined) leaves its alerts as they were.
// State lives in the evaluator (no module state); time comes from the injected clock.
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

export interface AlertEvaluator {
  evaluate(obs: Observation): AlertTransition[];
  /** The alerts firing now. */
  firing(): AlertTransition[];
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
      for (const [key, s] of states) {
        if (held.has(key) || obs[s.condition.part] === undefined) continue;
        states.delete(key);
        if (s.firing) out.push(transition('resolved', s, now));
      }
      return out;
    },
    firing() {
      return [...states.values()].filter((s) => s.firing).map((s) => transition('firing', s, s.firedAt ?? s.since));
    },
    setRules(next) {
      rules = next;
    },
  };
}
