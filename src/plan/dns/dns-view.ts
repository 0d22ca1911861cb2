// The DNS plan as text, Terraform-style: `+` create, `~` update (TTL and values shown old → new),
// unchanged sets listed plainly, then what is not managed and a one-line summary.
import type { DnsChange, DnsPlan } from './dns-diff.ts';

const list = (v: readonly string[]) => v.join(', ');

function line(c: DnsChange): string[] {
  const who = `(${c.envs.join(', ')})`;
  if (c.kind === 'create') return [`  + ${c.name} ${c.type} ttl ${c.ttl} ${list(c.values)}  ${who}`];
  if (c.kind === 'unchanged') return [`    ${c.name} ${c.type} ttl ${c.ttl} ${list(c.values)}  ${who}`];
  const cur = c.current!;
  const out = [`  ~ ${c.name} ${c.type}  ${who}`];
  if (cur.ttl !== c.ttl) out.push(`      ttl: ${cur.ttl} → ${c.ttl}`);
  const valuesChanged = cur.values.length !== c.values.length || cur.values.some((v, i) => v !== c.values[i]);
  if (valuesChanged) out.push(`      values: ${list(cur.values)} → ${list(c.values)}`);
  else out.push(`      values: ${list(c.values)}`);
  return out;
}

export function renderDnsPlan(plan: DnsPlan): string {
  const out: string[] = [];
  for (const z of plan.zones) {
    out.push(`zone ${z.zone} (${z.provider})`);
    for (const c of z.changes) out.push(...line(c));
    out.push('');
  }
  if (plan.notManaged.length) {
    out.push('not managed:');
    for (const n of plan.notManaged) out.push(`  ${n.host}  (${n.env}${n.app ? `, ${n.app}` : ''}): ${n.detail}`);
    out.push('');
  }
  if (plan.skipped.length) out.push(`skipped (.localhost/.test, never in public DNS): ${plan.skipped.join(', ')}`, '');
  const s = plan.summary;
  out.push(
    s.create + s.update === 0
      ? `No DNS changes. ${s.unchanged} record set${s.unchanged === 1 ? '' : 's'} up to date.`
      : `Plan: ${s.create} to create, ${s.update} to update, ${s.unchanged} unchanged.`,
  );
  return `${out.join('\n')}\n`;
}
