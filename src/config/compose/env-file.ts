// env_file parsing as docker compose does it: `KEY=VALUE` lines, `export` prefix, `#` comments,
// single quotes (literal), double quotes (escapes, may span lines) and unquoted values with
// ` # inline comments`. Returns entries with their line so problems point at the file.

export interface EnvFileEntry {
  key: string;
  value: string;
  line: number; // 1-based
  /** False for single-quoted values, which compose never interpolates. */
  interpolate: boolean;
}

export interface EnvFileProblem {
  line: number;
  col: number;
  message: string;
}

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function parseEnvFile(text: string): { entries: EnvFileEntry[]; problems: EnvFileProblem[] } {
  const entries: EnvFileEntry[] = [];
  const problems: EnvFileProblem[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const body = trimmed.replace(/^export\s+/, '');
    const eq = body.indexOf('=');
    const indent = raw.length - raw.trimStart().length;
    if (eq < 0) {
      const key = body.trim();
      problems.push({
        line: lineNo,
        col: indent + 1,
        message: KEY_RE.test(key)
          ? `${key} has no value (compose would take it from the shell; Slipway reads no shell environment)`
          : `expected KEY=VALUE, got "${trimmed}"`,
      });
      continue;
    }
    const key = body.slice(0, eq).trim();
    if (!KEY_RE.test(key)) {
      problems.push({ line: lineNo, col: indent + 1, message: `"${key}" is not a valid variable name` });
      continue;
    }
    let rest = body.slice(eq + 1).replace(/^[ \t]+/, '');
    const q = rest[0];
    if (q === '"' || q === "'") {
      // Quoted: may continue over following lines until the closing quote.
      let acc = rest.slice(1);
      let j = i;
      let close = findClose(acc, q);
      while (close < 0 && j + 1 < lines.length) {
        j++;
        acc += '\n' + lines[j]!;
        close = findClose(acc, q);
      }
      if (close < 0) {
        problems.push({ line: lineNo, col: indent + 1, message: `${key}: unterminated ${q} quote` });
        break;
      }
      const inner = acc.slice(0, close);
      entries.push({ key, value: q === '"' ? unescapeDouble(inner) : inner, line: lineNo, interpolate: q === '"' });
      i = j;
      continue;
    }
    const hash = rest.search(/\s#/);
    if (hash >= 0) rest = rest.slice(0, hash);
    entries.push({ key, value: rest.trim(), line: lineNo, interpolate: true });
  }
  return { entries, problems };
}

function findClose(s: string, q: string): number {
  for (let i = 0; i < s.length; i++) {
    if (q === '"' && s[i] === '\\') {
      i++;
      continue;
    }
    if (s[i] === q) return i;
  }
  return -1;
}

function unescapeDouble(s: string): string {
  return s.replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}
