// Human rendering of a Plan, Terraform style: actions grouped by server with a symbol per kind
// (+ create, ~ update, ± replace, - delete, > run-once), their reason, changed fields indented
// beneath, destructive actions flagged, and a one-line summary. Under each server, what `up`
// leaves alone: app container changes left to `deploy`, and data kept (= keep). Pure: color is
// ANSI and only on request. Secret values and secret references in `changes` print as (sensitive).
import type { Action, ActionKind, Kept, Plan } from '../../plan/diff/plan.ts';
import { Secret } from '../../util/secret.ts';

export interface PlanViewOptions {
  /** ANSI color; off unless true. */
  color?: boolean;
}

export const SENSITIVE = '(sensitive)';
export const NO_CHANGES = 'No changes. Infrastructure matches the fleet.';

const SYMBOL: Record<ActionKind, string> = { create: '+', update: '~', replace: '±', delete: '-', 'run-once': '>' };
const COLOR: Record<ActionKind, string> = { create: '32', update: '33', replace: '35', delete: '31', 'run-once': '36' };
/** Keys whose value is sensitive wherever they appear inside a change value. */
const SENSITIVE_KEYS = new Set(['secret', 'password', 'token']);

export const DEPLOY_HEADING = 'Left to deploy (each app container is a release: slipway deploy APP ENV):';
export const KEPT_HEADING = 'Kept (holds data):';

export function renderPlan(plan: Plan, opts: PlanViewOptions = {}): string {
  const paint = (code: string, s: string): string => (opts.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const deploy = plan.deploy;
  const kept = plan.kept;
  const moves = plan.moves ?? [];
  const moveLines = moves.map((m) => `${paint('35', `→ move ${m.env}`)} from ${m.from} to ${m.to}  (${m.reason})`);
  if (plan.actions.length + deploy.length + kept.length === 0) return `${[paint('32', NO_CHANGES), ...moveLines].join('\n')}\n`;

  const typeWidth = Math.max(...[...plan.actions, ...deploy, ...kept].map((a) => a.type.length));
  const servers: string[] = [];
  for (const a of [...plan.actions, ...deploy, ...kept]) if (!servers.includes(a.server)) servers.push(a.server);

  const lines: string[] = [plan.actions.length ? `Slipway will perform the following actions for project ${plan.project}:` : paint('32', NO_CHANGES)];
  for (const server of servers) {
    lines.push('', paint('1', `Server ${server}:`));
    for (const a of plan.actions.filter((x) => x.server === server)) lines.push(...renderAction(a, typeWidth, paint));
    const later = deploy.filter((x) => x.server === server);
    if (later.length) lines.push(`  ${DEPLOY_HEADING}`, ...later.flatMap((a) => renderAction(a, typeWidth, paint).map((l) => `  ${l}`)));
    const data = kept.filter((x) => x.server === server);
    if (data.length) lines.push(`  ${KEPT_HEADING}`, ...data.map((k) => `    ${renderKept(k, typeWidth, paint)}`));
  }
  if (moveLines.length) lines.push('', ...moveLines);
  lines.push('');
  const destructive = plan.actions.filter((a) => a.destructive).length;
  if (destructive > 0) {
    lines.push(paint('31', `Warning: ${destructive} destructive action${destructive === 1 ? '' : 's'} (marked [destructive]) can lose data.`));
  }
  lines.push(summaryLine(plan));
  return `${lines.join('\n')}\n`;
}

function renderKept(k: Kept, typeWidth: number, paint: (code: string, s: string) => string): string {
  return `${paint('34', '= keep    ')}${k.type.padEnd(typeWidth)} ${k.id}  (${k.reason})`;
}

function renderAction(a: Action, typeWidth: number, paint: (code: string, s: string) => string): string[] {
  const kind = a.kind.length >= 8 ? `${a.kind} ` : a.kind.padEnd(8);
  const head = paint(COLOR[a.kind], `${SYMBOL[a.kind]} ${kind}`);
  let line = `  ${head}${a.type.padEnd(typeWidth)} ${a.id}  (${a.reason})`;
  if (a.destructive) line += `  ${paint('1;31', '[destructive]')}`;
  const out = [line];
  for (const [field, [before, after]] of Object.entries(a.changes ?? {})) {
    out.push(`      ${field}: ${formatValue(before)} → ${formatValue(after)}`);
  }
  return out;
}

export function summaryLine(plan: Plan): string {
  const s = plan.summary;
  const runOnce = s['run-once'] > 0 ? `, ${s['run-once']} to run once` : '';
  const deploy = plan.deploy.length;
  const kept = plan.kept.length;
  const notes = [...(deploy ? [`${deploy} app container change${deploy === 1 ? '' : 's'} left to deploy.`] : []), ...(kept ? [`${kept} kept (data).`] : [])];
  return [`Plan: ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.delete} to delete${runOnce}.`, ...notes].join(' ');
}

const MARK = '\u0000sensitive\u0000';

/** Formats one change value; anything secret becomes (sensitive). */
export function formatValue(v: unknown): string {
  const r = redact(v);
  if (r === MARK) return SENSITIVE;
  if (r === undefined) return '(none)';
  return JSON.stringify(r).split(JSON.stringify(MARK)).join(SENSITIVE);
}

function redact(v: unknown): unknown {
  if (v instanceof Secret) return MARK;
  if (Array.isArray(v)) return v.map(redact);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (o.kind === 'secret') return MARK;
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(o)) out[k] = SENSITIVE_KEYS.has(k) ? MARK : redact(val);
    return out;
  }
  return v;
}
