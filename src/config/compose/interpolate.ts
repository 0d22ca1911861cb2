// Compose variable interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`,
// `${VAR:+alt}`, `$VAR` and `$$`. Slipway reads no shell environment: variables come only from
// the caller (the .env beside the compose file, or the env files slipway.yaml names). As in
// docker compose, an unset variable becomes an empty string (reported as `unset`), a missing
// required one is reported as `required`, and a malformed `${…}` is kept as written (`invalid`).

export interface Unresolved {
  kind: 'unset' | 'required' | 'invalid';
  name: string;
  /** Human reason, e.g. `variable POSTGRES_PASSWORD is not set`. */
  message: string;
}

export interface Interpolated {
  value: string;
  unresolved: Unresolved[];
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/**
 * A variable's value, or undefined when it is not set: own keys only, so a name such as
 * `toString` or `constructor` is never read from Object.prototype (the fuzzer found that).
 */
export function varOf(vars: Readonly<Record<string, string>>, name: string): string | undefined {
  return Object.hasOwn(vars, name) ? vars[name] : undefined;
}

export function interpolate(text: string, vars: Readonly<Record<string, string>> = {}): Interpolated {
  const unresolved: Unresolved[] = [];
  const value = expand(text, vars, unresolved);
  return { value, unresolved };
}

function expand(text: string, vars: Readonly<Record<string, string>>, out: Unresolved[]): string {
  let res = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== '$') {
      res += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      res += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const end = matchBrace(text, i + 1);
      if (end < 0) {
        // Unterminated: keep literally, like compose would refuse; report it.
        out.push({ kind: 'invalid', name: text.slice(i), message: `unterminated "\${" in "${text}"` });
        res += text.slice(i);
        break;
      }
      const body = text.slice(i + 2, end);
      res += expandBraced(body, text.slice(i, end + 1), vars, out);
      i = end + 1;
      continue;
    }
    if (next !== undefined && NAME_START.test(next)) {
      let j = i + 1;
      while (j < text.length && NAME_CHAR.test(text[j]!)) j++;
      const name = text.slice(i + 1, j);
      const v = varOf(vars, name);
      if (v === undefined) out.push({ kind: 'unset', name, message: `variable ${name} is not set` });
      else res += v;
      i = j;
      continue;
    }
    res += c;
    i++;
  }
  return res;
}

function expandBraced(body: string, original: string, vars: Readonly<Record<string, string>>, out: Unresolved[]): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(body);
  if (!m) {
    out.push({ kind: 'invalid', name: body, message: `invalid interpolation "${original}"` });
    return original;
  }
  const name = m[1]!;
  const op = m[2];
  const arg = m[3] ?? '';
  const v = varOf(vars, name);
  const set = v !== undefined;
  const nonEmpty = set && v !== '';
  switch (op) {
    case undefined:
      if (!set) {
        out.push({ kind: 'unset', name, message: `variable ${name} is not set` });
        return '';
      }
      return v!;
    case ':-':
      return nonEmpty ? v! : expand(arg, vars, out);
    case '-':
      return set ? v! : expand(arg, vars, out);
    case ':+':
      return nonEmpty ? expand(arg, vars, out) : '';
    case '+':
      return set ? expand(arg, vars, out) : '';
    case ':?':
    case '?': {
      const ok = op === ':?' ? nonEmpty : set;
      if (ok) return v!;
      out.push({ kind: 'required', name, message: `variable ${name} is required${arg ? `: ${arg}` : ''}` });
      return '';
    }
    default:
      return original;
  }
}

/** Index of the `}` closing the `{` at `open`, honouring nested `${…}`; -1 if none. */
function matchBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}
