// Human view of `check` findings, grouped by severity, one line each with its stable code.
import type { Finding } from '../../plan/check/finding.ts';

export function renderFindings(findings: readonly Finding[], opts: { color?: boolean } = {}): string {
  const on = opts.color ?? false;
  const paint = (code: number, s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  if (findings.length === 0) return 'No findings: isolation, budgets and policies look right.\n';
  const lines = findings.map((f) => {
    const sev = f.severity === 'error' ? paint(31, 'error  ') : f.severity === 'warning' ? paint(33, 'warning') : paint(34, 'info   ');
    const where = [f.server && `server ${f.server}`, f.env && `env ${f.env}`, f.app && `app ${f.app}`].filter(Boolean).join(', ');
    return `${sev} ${f.code}: ${f.message}${where ? `  [${where}]` : ''}${f.hint ? `\n          hint: ${f.hint}` : ''}`;
  });
  const count = (s: Finding['severity']) => findings.filter((f) => f.severity === s).length;
  lines.push('', `${count('error')} error(s), ${count('warning')} warning(s), ${count('info')} info`);
  return `${lines.join('\n')}\n`;
}
