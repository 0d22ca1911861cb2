// Reads a SOPS-encrypted file (YAML, JSON or dotenv, as `sops` writes them) into its tree of
// values, in file order, and its `sops` metadata (age-wrapped data keys, last modified, MAC,
// which values were left unencrypted). Order matters: SOPS's MAC hashes the values in the order
// its stores read them. No decryption here (sops-decrypt.ts). Pure.
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node } from 'yaml';
import { UserError } from '../diag/errors.ts';

export type SopsFormat = 'yaml' | 'json' | 'dotenv';

/** A value of the tree: a scalar as the format's parser read it, a map (ordered) or a list. */
export type SopsNode =
  | { kind: 'scalar'; value: string | number | boolean | null }
  | { kind: 'map'; items: [string, SopsNode][] }
  | { kind: 'list'; items: SopsNode[] };

export interface SopsAgeKey {
  recipient: string;
  enc: string;
}

export interface SopsMetadata {
  /** age-wrapped data keys (the file's single key group). */
  age: SopsAgeKey[];
  /** Other kinds of master keys the file also has (pgp, kms…), to name them when no age key fits. */
  otherKeys: string[];
  keyGroups: number;
  lastModified: string;
  mac: string;
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: string;
  encryptedRegex?: string;
  unencryptedCommentRegex?: string;
  encryptedCommentRegex?: string;
  macOnlyEncrypted: boolean;
  version?: string;
}

export interface SopsFile {
  format: SopsFormat;
  /** The top-level items, the metadata removed. */
  tree: [string, SopsNode][];
  metadata: SopsMetadata;
}

/** The format from the file name (as sops decides), else from the content. */
export function sopsFormatOf(path: string, text: string): SopsFormat {
  if (/\.ya?ml$/i.test(path)) return 'yaml';
  if (/\.json$/i.test(path)) return 'json';
  if (/(^|[/.])env$/i.test(path)) return 'dotenv';
  if (/^\s*[{[]/.test(text)) return 'json';
  if (/^sops_mac=/m.test(text)) return 'dotenv';
  return 'yaml';
}

export function parseSopsFile(text: string, format: SopsFormat, where: string): SopsFile {
  if (format === 'dotenv') return parseDotenv(text, where);
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  if (!Array.isArray(docs)) throw notSops(where, 'it is empty');
  if (docs.length !== 1) throw new UserError(`${where}: ${docs.length} YAML documents in one file are not supported`, 'split it into one file per document');
  const doc = docs[0]!;
  if (doc.errors.length)
    throw new UserError(`${where}: not valid ${format.toUpperCase()} (line ${doc.errors[0]!.linePos?.[0].line ?? '?'})`, 'is it the file sops wrote?');
  const root = toNode(doc.contents, doc, where);
  if (root.kind !== 'map') throw notSops(where, 'its top level is not a map');
  const meta = root.items.find(([k]) => k === 'sops');
  if (!meta) throw notSops(where, 'it has no "sops" metadata');
  return { format, tree: root.items.filter(([k]) => k !== 'sops'), metadata: readMetadata(toPlain(meta[1]), where) };
}

function notSops(where: string, why: string): UserError {
  return new UserError(`${where} is not a SOPS-encrypted file: ${why}`, 'give the file as sops wrote it (sops --encrypt --age RECIPIENT FILE)');
}

function toNode(n: Node | null | undefined, doc: Document, where: string): SopsNode {
  if (n === null || n === undefined) return { kind: 'scalar', value: null };
  if (isAlias(n)) return toNode(n.resolve(doc) as Node | undefined, doc, where);
  if (isMap(n))
    return {
      kind: 'map',
      items: n.items.map((p) => {
        const key = isScalar(p.key) ? p.key.value : p.key;
        if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean')
          throw new UserError(`${where}: a map key that is not a string`, 'SOPS files have string keys only');
        return [String(key), toNode(p.value as Node | null, doc, where)];
      }),
    };
  if (isSeq(n)) return { kind: 'list', items: n.items.map((i) => toNode(i as Node | null, doc, where)) };
  if (isScalar(n)) {
    const v = n.value;
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return { kind: 'scalar', value: v };
    return { kind: 'scalar', value: String(v) };
  }
  throw new UserError(`${where}: a value of an unsupported kind`, 'SOPS files hold maps, lists and scalars');
}

type Plain = string | number | boolean | null | Plain[] | { [k: string]: Plain };

function toPlain(n: SopsNode): Plain {
  if (n.kind === 'scalar') return n.value;
  if (n.kind === 'list') return n.items.map(toPlain);
  return Object.fromEntries(n.items.map(([k, v]) => [k, toPlain(v)]));
}

/** sops's dotenv store: one KEY=VALUE per line (no quoting, `\n` for newlines), `#` comments, metadata as flattened `sops_…` keys. */
function parseDotenv(text: string, where: string): SopsFile {
  const tree: [string, SopsNode][] = [];
  const flat: [string, string][] = [];
  text.split('\n').forEach((line, i) => {
    if (line.length === 0 || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq < 0) throw new UserError(`${where}:${i + 1}: not a KEY=VALUE line`, 'give the file as sops wrote it');
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).replaceAll('\\n', '\n');
    if (key.startsWith('sops_')) flat.push([key.slice('sops_'.length), value]);
    else tree.push([key, { kind: 'scalar', value }]);
  });
  if (flat.length === 0) throw notSops(where, 'it has no sops_ metadata lines');
  return { format: 'dotenv', tree, metadata: readMetadata(unflatten(flat), where) };
}

/** sops's flattened metadata keys (`age__list_0__map_enc`) back into objects and lists. */
function unflatten(entries: [string, string][]): Plain {
  const root: { [k: string]: Plain } = {};
  for (const [path, value] of entries) {
    const tokens = path.split(/(?=__map_|__list_)/).map((t, i) => {
      if (i === 0) return t;
      if (t.startsWith('__map_')) return t.slice('__map_'.length);
      return Number(t.slice('__list_'.length));
    });
    let at: Plain = root;
    tokens.forEach((t, i) => {
      const last = i === tokens.length - 1;
      const container = at as { [k: string]: Plain } & Plain[];
      if (last) container[t as never] = value as never;
      else {
        const nextIsList = typeof tokens[i + 1] === 'number';
        if (container[t as never] === undefined) container[t as never] = (nextIsList ? [] : {}) as never;
        at = container[t as never] as Plain;
      }
    });
  }
  return root;
}

function readMetadata(m: Plain, where: string): SopsMetadata {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw notSops(where, 'its "sops" metadata is not a map');
  const str = (k: string): string | undefined => (typeof m[k] === 'string' && m[k] !== '' ? (m[k] as string) : undefined);
  const ageOf = (list: Plain): SopsAgeKey[] =>
    Array.isArray(list)
      ? list.flatMap((a) =>
          a && typeof a === 'object' && !Array.isArray(a) && typeof a.recipient === 'string' && typeof a.enc === 'string'
            ? [{ recipient: a.recipient, enc: a.enc }]
            : [],
        )
      : [];
  const kinds = ['pgp', 'kms', 'gcp_kms', 'azure_kv', 'hc_vault', 'hckms'];
  const present = (o: { [k: string]: Plain }) => kinds.filter((k) => Array.isArray(o[k]) && (o[k] as Plain[]).length > 0);
  const groups = Array.isArray(m.key_groups) ? (m.key_groups.filter((g) => g && typeof g === 'object' && !Array.isArray(g)) as { [k: string]: Plain }[]) : [];
  const lastModified = str('lastmodified');
  const mac = str('mac');
  if (!lastModified || !mac) throw notSops(where, 'its metadata has no lastmodified or mac');
  return {
    age: groups.length ? groups.flatMap((g) => ageOf(g.age ?? null)) : ageOf(m.age ?? null),
    otherKeys: groups.length ? [...new Set(groups.flatMap(present))] : present(m),
    keyGroups: Math.max(groups.length, 1),
    lastModified,
    mac,
    unencryptedSuffix: str('unencrypted_suffix'),
    encryptedSuffix: str('encrypted_suffix'),
    unencryptedRegex: str('unencrypted_regex'),
    encryptedRegex: str('encrypted_regex'),
    unencryptedCommentRegex: str('unencrypted_comment_regex'),
    encryptedCommentRegex: str('encrypted_comment_regex'),
    macOnlyEncrypted: m.mac_only_encrypted === true || m.mac_only_encrypted === 'true',
    version: str('version'),
  };
}
