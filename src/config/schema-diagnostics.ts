// Turns zod issues on the raw fleet file into Diagnostics with positions, key paths, readable
// messages and hints ("did you mean"). Every issue is reported, not just the first.
import { z, type ZodIssue, type ZodTypeAny } from 'zod';
import type { Diagnostic } from '../diag/diagnostic.ts';
import { didYouMean } from '../util/did-you-mean.ts';
import type { PathPart, YamlSource } from './yaml-source.ts';

export function schemaDiagnostics(schema: ZodTypeAny, data: unknown, src: YamlSource): Diagnostic[] {
  const res = schema.safeParse(data);
  if (res.success) return [];
  const out: Diagnostic[] = [];
  for (const issue of res.error.issues) collect(issue, schema, src, out);
  return dedupe(out);
}

function collect(issue: ZodIssue, root: ZodTypeAny, src: YamlSource, out: Diagnostic[]): void {
  const path = issue.path;
  const where = pathText(path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(root, path);
      for (const key of issue.keys) {
        const guess = didYouMean(key, known);
        out.push({
          severity: 'error',
          code: 'unknown-key',
          path: pathText([...path, key]),
          message: `unknown key "${key}"${where ? ` in ${where}` : ' at the top level'}`,
          hint: guess ? `did you mean "${guess}"?` : known.length ? `valid keys here: ${known.join(', ')}` : undefined,
          pos: src.posOfKey(path, key),
        });
      }
      return;
    }
    case 'invalid_union': {
      const deeper = pickDeeperBranch(issue);
      if (deeper) {
        for (const i of deeper) collect(i, root, src, out);
        return;
      }
      out.push(typed(path, issue.message, src));
      return;
    }
    case 'invalid_type': {
      if (issue.received === 'undefined') {
        const key = String(path[path.length - 1]);
        out.push({
          severity: 'error',
          code: 'missing-key',
          path: where,
          message: issue.message !== 'Required' ? issue.message : `missing required key "${key}"`,
          hint: `add "${key}:" under ${pathText(path.slice(0, -1)) || 'the top level'}`,
          pos: src.posOf(path.slice(0, -1)),
        });
        return;
      }
      const msg = issue.message.startsWith('Expected ') ? `expected ${issue.expected}, got ${issue.received}` : issue.message;
      out.push(typed(path, msg, src));
      return;
    }
    case 'invalid_enum_value': {
      const opts = issue.options.map(String);
      const guess = didYouMean(String(issue.received), opts);
      out.push({
        severity: 'error',
        code: 'bad-value',
        path: where,
        message: `expected one of ${opts.map((o) => `"${o}"`).join(', ')}, got "${String(issue.received)}"`,
        hint: guess ? `did you mean "${guess}"?` : undefined,
        pos: src.posOf(path),
      });
      return;
    }
    default:
      out.push({ ...typed(path, issue.message, src), code: 'bad-value' });
  }
}

function typed(path: PathPart[], message: string, src: YamlSource): Diagnostic {
  return { severity: 'error', code: 'bad-type', path: pathText(path), message, pos: src.posOf(path) };
}

/** In a union, a branch whose issues are all below the union's own path "nearly matched". */
function pickDeeperBranch(issue: z.ZodInvalidUnionIssue): ZodIssue[] | undefined {
  const depth = issue.path.length;
  const candidates = issue.unionErrors
    .map((e) => e.issues)
    .filter((issues) => issues.every((i) => i.path.length > depth || i.code === 'unrecognized_keys' || (i.code === 'custom' && i.path.length === depth)))
    .filter((issues) => !issues.every((i) => i.code === 'custom'));
  if (candidates.length === 1) return candidates[0];
  const custom = issue.unionErrors
    .map((e) => e.issues)
    .filter((issues) => issues.length > 0 && issues.every((i) => i.code === 'custom' && i.path.length === depth));
  if (candidates.length === 0 && custom.length === 1) return custom[0];
  return undefined;
}

export function pathText(path: readonly PathPart[]): string {
  return path.map(String).join('/');
}

/** The keys an object schema accepts at `path` (records match any key). */
export function knownKeysAt(schema: ZodTypeAny, path: readonly PathPart[]): string[] {
  let cur: ZodTypeAny | undefined = schema;
  for (const part of path) {
    cur = unwrapObject(cur);
    if (!cur) return [];
    if (cur instanceof z.ZodObject) cur = (cur.shape as Record<string, ZodTypeAny>)[String(part)];
    else if (cur instanceof z.ZodRecord) cur = cur.valueSchema as ZodTypeAny;
    else if (cur instanceof z.ZodArray) cur = cur.element as ZodTypeAny;
    else return [];
  }
  const obj = unwrapObject(cur);
  return obj instanceof z.ZodObject ? Object.keys(obj.shape as object) : [];
}

function unwrapObject(s: ZodTypeAny | undefined): ZodTypeAny | undefined {
  let cur = s;
  for (let i = 0; i < 10 && cur; i++) {
    if (cur instanceof z.ZodOptional || cur instanceof z.ZodNullable) cur = cur.unwrap() as ZodTypeAny;
    else if (cur instanceof z.ZodDefault) cur = cur.removeDefault() as ZodTypeAny;
    else if (cur instanceof z.ZodEffects) cur = cur.innerType() as ZodTypeAny;
    else if (cur instanceof z.ZodUnion) {
      const opts = cur.options as ZodTypeAny[];
      cur = opts.find((o) => unwrapObject(o) instanceof z.ZodObject) ?? opts.find((o) => o instanceof z.ZodRecord) ?? opts[0];
    } else return cur;
  }
  return cur;
}

function dedupe(diags: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const k = `${d.code}|${d.path}|${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
