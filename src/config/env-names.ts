// Environment names typed by a user (`slipway init --envs Staging,PROD`) made into names the fleet
// schema accepts: trimmed, lowercased, each checked against NAME_RE, no duplicates. Every problem
// says which name and how to fix it, before anything is written.
import { NAME_HINT, NAME_RE } from './schema.ts';

export interface NameProblem {
  message: string;
  hint: string;
}

const MAX_NAME = 40;

/** `"Staging, PROD"` → `{ names: ['staging', 'prod'] }`, or the problems with the list. */
export function normalizeEnvNames(input: string | readonly string[]): { names: string[]; problems: NameProblem[] } {
  const raw = (typeof input === 'string' ? input.split(',') : [...input]).map((s) => s.trim()).filter(Boolean);
  const problems: NameProblem[] = [];
  if (raw.length === 0) problems.push({ message: 'no environment names given', hint: 'give a comma-separated list, e.g. --envs staging,prod' });
  const names: string[] = [];
  for (const r of raw) {
    const name = r.toLowerCase();
    const problem = nameProblem(name, 'environment');
    if (problem) problems.push({ message: `${problem.message}${name !== r ? ` (from "${r}")` : ''}`, hint: problem.hint });
    else if (names.includes(name)) problems.push({ message: `environment "${name}" is given twice`, hint: 'names are lowercased: give each environment once' });
    else names.push(name);
  }
  return { names, problems };
}

/** Why `name` is not a valid fleet name (project, environment, app…), or undefined. */
export function nameProblem(name: string, what: string): NameProblem | undefined {
  if (NAME_RE.test(name) && name.length <= MAX_NAME) return undefined;
  if (name.length > MAX_NAME)
    return { message: `${what} name "${name}" is longer than ${MAX_NAME} characters`, hint: `keep names at most ${MAX_NAME} characters long` };
  const fixed = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '');
  return { message: `invalid ${what} name "${name}"`, hint: fixed && NAME_RE.test(fixed) ? `${NAME_HINT}; e.g. "${fixed}"` : NAME_HINT };
}
