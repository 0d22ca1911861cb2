// Human view of diagnostics, compiler style: the offending line with a caret under the column.
import type { Diagnostic } from './diagnostic.ts';

export interface SourceLines {
  lineText(line: number): string;
}

export function renderDiagnostics(diags: readonly Diagnostic[], sources: (file: string) => SourceLines | undefined, opts: { color?: boolean } = {}): string {
  const c = colors(opts.color ?? false);
  const blocks = diags.map((d) => {
    const head = `${d.severity === 'error' ? c.red('error') : d.severity === 'warning' ? c.yellow('warning') : c.blue('info')}[${d.code}]: ${d.message}`;
    const lines = [head];
    if (d.pos) {
      const gutter = String(d.pos.line).length;
      const pad = ' '.repeat(gutter);
      lines.push(`${pad}--> ${d.pos.file}:${d.pos.line}:${d.pos.col}${d.path ? `  (${d.path})` : ''}`);
      const text = sources(d.pos.file)?.lineText(d.pos.line);
      if (text !== undefined) {
        lines.push(`${pad} |`);
        lines.push(`${d.pos.line} | ${text}`);
        lines.push(`${pad} | ${' '.repeat(Math.max(0, d.pos.col - 1))}${c.red('^'.repeat(caretWidth(text, d.pos.col)))}`);
      }
    } else if (d.path) {
      lines.push(`  --> ${d.path}`);
    }
    if (d.hint) lines.push(`  = hint: ${d.hint}`);
    return lines.join('\n');
  });
  const errors = diags.filter((d) => d.severity === 'error').length;
  const warnings = diags.filter((d) => d.severity === 'warning').length;
  if (diags.length) blocks.push(`${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
  return blocks.join('\n\n');
}

/** Underline the token at the column (a key or scalar), at least one caret. */
function caretWidth(text: string, col: number): number {
  const rest = text.slice(col - 1);
  const m = /^("[^"]*"|'[^']*'|[^\s:,\]}]+)/.exec(rest);
  return Math.max(1, m ? m[0].length : 1);
}

function colors(on: boolean) {
  const wrap = (code: number) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { red: wrap(31), yellow: wrap(33), blue: wrap(34) };
}
