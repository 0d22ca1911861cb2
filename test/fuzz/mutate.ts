// Mutations of YAML seed files for the fuzzer, as fast-check arbitraries of plain data (so a
// failing input shrinks to fewer, simpler operations, and its description is small JSON) and a
// deterministic `mutate(seed, ops)` that applies them.
// - structural, on the parsed document: drop, duplicate or swap entries, rename keys, change a
//   value's type or give it a wrong scalar (huge numbers, unicode, `${VAR}` edge cases…), nest a
//   value deeply, alias one node to another (cycles included), plant a billion-laughs alias bomb;
// - textual, on the resulting text: byte flips, insertions, deleted ranges, duplicated lines,
//   truncation.
// An operation that the YAML library cannot serialise is skipped; positions are taken modulo the
// number of candidates, so every operation applies to any seed.
import fc from 'fast-check';
import { Alias, isAlias, isCollection, isMap, isPair, isScalar, isSeq, type Node, Pair, parseDocument, Scalar, type YAMLMap, YAMLSeq } from 'yaml';

/** A value a node can be replaced by. `raw` is YAML text parsed into a node. */
export type Replacement = { raw: string } | { str: string } | { num: number } | { big: string };

export type StructOp =
  | { op: 'drop'; at: number }
  | { op: 'duplicate'; at: number }
  | { op: 'swap'; at: number; with: number }
  | { op: 'rename'; at: number; key: string }
  | { op: 'replace'; at: number; value: Replacement }
  | { op: 'nest'; at: number; depth: number; flow: 'seq' | 'map' }
  | { op: 'alias'; at: number; to: number }
  | { op: 'bomb'; at: number; width: number; levels: number };

export type TextOp =
  | { op: 'flip'; at: number; text: string }
  | { op: 'insert'; at: number; text: string }
  | { op: 'cut'; at: number; length: number }
  | { op: 'dupline'; at: number }
  | { op: 'truncate'; at: number };

export interface Mutation {
  seed: number;
  structural: StructOp[];
  textual: TextOp[];
}

/** Keys of fleet and compose files, so renames land on names the readers know. */
const KEYS = [
  'project', 'servers', 'environments', 'services', 'apps', 'processes', 'image', 'build', 'command', 'port', 'ports', 'health',
  'healthcheck', 'domain', 'domains', 'auth', 'uses', 'compose', 'env', 'environment', 'env_file', 'volumes', 'depends_on',
  'extends', 'profiles', 'networks', 'deploy', 'x-slipway', '<<', 'secrets', 'configs', 'memory', 'cpus', 'scope', 'server',
  'protected', 'placement', 'web', 'release', 'replicas', 'restart', 'entrypoint', 'labels', 'file', 'service', 'condition',
  'x-bomb', '', ' ', 'ünïcødé', '0', 'true', 'null', '${KEY}',
]; // biome-ignore format: a word list

const SCALARS = [
  '', ' ', '~', 'null', 'true', 'no', 'on', '0', '-1', '0x1F', '0o17', '1e309', '-0', '.nan', '.inf', '1_000', '08', '1:30',
  '1GiB', '512Mi', '-1MiB', '9999999999PiB', '0.000001', '1e3MB', '80:80', '65536', '0:0', '1-65535', '[::1]:80:80',
  '127.0.0.1::80', '8080/udp', '10s', '1h30m', '-5s', '1e9s', 'forever', '/', '../../etc/passwd', './x/../..', 'C:\\x', '~/x',
  '*.example.com', 'a..b', 'xn--', '{app}.{env}.example.com', '{app}{app}', '{unknown}', '{', '}', 'localhost', 'ünicode.example',
  '${', '${}', '${VAR', '${VAR}', '${VAR:-}', '${VAR:-${OTHER:-x}}', '${VAR:?must be set}', '${VAR?}', '$$', '$${VAR}', '${VAR-x}',
  '${VAR:+alt}', '$VAR', '${1}', '${ VAR }', '${a.b}', '${VAR:-${VAR:-${VAR:-${VAR}}}}', '$', '${VAR:-$}', '${${VAR}}',
  '日本語', '🚀🚀', 'e\u0301', '\u202eevil', '\u0000', 'a\u2028b', '\ufeffbom', 'İı', 'ß', '\t', 'a\nb', '"', "'", '#x', '- x',
  'key: value', '[1, 2', '{a: 1', '*alias', '&anchor', '!tag x', '%YAML', 'postgres:17', 'redis:7', 'node:20-slim', 'nginx@sha256:',
  'service_healthy', 'service_completed_successfully', 'always', 'unless-stopped', 'basic', 'none', 'environment', 'server',
]; // biome-ignore format: a word list

const TEXT_BITS = [
  ':', ': ', '-', '- ', ' ', '  ', '\n', '\r\n', '\t', '{', '}', '[', ']', ',', '&a ', '*a', '!!str ', '!reset ', '!override ',
  '|', '>', '#', '"', "'", '%', '@', '`', '?', '\0', '\r', '\ufeff', '$', '${X}', '{app}', '<<: ', '\\', '\u2028', '🚀', '~',
]; // biome-ignore format: a word list

const BIG = ['9'.repeat(30), `-${'9'.repeat(400)}`, '1e400', String(2 ** 53 + 1), '0x' + 'f'.repeat(40), '1'.repeat(2000)];

const replacement: fc.Arbitrary<Replacement> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SCALARS).map((str) => ({ str })) },
  { weight: 2, arbitrary: fc.constantFrom(...SCALARS).map((raw) => ({ raw })) },
  { weight: 1, arbitrary: fc.constantFrom('[]', '{}', '[1, [2, [3]]]', '{a: {b: {}}}', '[null]', '{? [a]: b}', '[{}]', '- x\n- y').map((raw) => ({ raw })) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2)).map((num) => ({ num })) },
  { weight: 1, arbitrary: fc.constantFrom(...BIG).map((big) => ({ big })) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map((str) => ({ str })) },
  { weight: 1, arbitrary: fc.constantFrom(1000, 100_000).map((n) => ({ str: 'x'.repeat(n) })) },
);

const pos = fc.nat({ max: 1_000_000 });

export const structOp: fc.Arbitrary<StructOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('drop' as const), at: pos }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('duplicate' as const), at: pos }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('swap' as const), at: pos, with: pos }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('rename' as const), at: pos, key: fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })) }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('replace' as const), at: pos, value: replacement }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('nest' as const),
      at: pos,
      depth: fc.oneof(fc.integer({ min: 2, max: 64 }), fc.constantFrom(500, 5000)),
      flow: fc.constantFrom('seq' as const, 'map' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('alias' as const), at: pos, to: pos }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('bomb' as const), at: pos, width: fc.integer({ min: 2, max: 10 }), levels: fc.integer({ min: 1, max: 12 }) }),
  },
);

export const textOp: fc.Arbitrary<TextOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('flip' as const),
      at: pos,
      text: fc.oneof(fc.constantFrom(...TEXT_BITS), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('insert' as const),
      at: pos,
      text: fc.oneof(fc.constantFrom(...TEXT_BITS, ...SCALARS), fc.string({ unit: 'binary', maxLength: 6 })),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('cut' as const), at: pos, length: fc.integer({ min: 1, max: 200 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dupline' as const), at: pos }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: pos }) },
);

/** A mutation of one of `seeds` seeds: mostly structural, sometimes textual, at least one operation. */
export function mutation(seeds: number): fc.Arbitrary<Mutation> {
  return fc
    .record({
      seed: fc.nat({ max: seeds - 1 }),
      structural: fc.array(structOp, { maxLength: 4 }),
      textual: fc.oneof({ weight: 3, arbitrary: fc.constant([] as TextOp[]) }, { weight: 2, arbitrary: fc.array(textOp, { minLength: 1, maxLength: 3 }) }),
    })
    .filter((m) => m.structural.length + m.textual.length > 0);
}

// ---------------------------------------------------------------------------------------------

interface Slot {
  /** The node (a value, or a pair of a map). */
  node: Node | Pair;
  /** The collection holding it. */
  parent: YAMLMap | YAMLSeq;
}

/** Every entry of every collection, in document order. */
function slots(contents: Node | null): Slot[] {
  const out: Slot[] = [];
  const walk = (n: unknown, depth: number): void => {
    if (depth > 200 || !isCollection(n)) return;
    for (const item of n.items as (Node | Pair)[]) {
      out.push({ node: item, parent: n as YAMLMap | YAMLSeq });
      walk(isPair(item) ? item.value : item, depth + 1);
    }
  };
  walk(contents, 0);
  return out;
}

function valueNode(doc: ReturnType<typeof parseDocument>, r: Replacement): Node {
  if ('raw' in r) {
    const parsed = parseDocument(r.raw);
    return (parsed.contents as Node | null) ?? new Scalar(null);
  }
  if ('big' in r) {
    const s = new Scalar(r.big);
    s.type = 'PLAIN';
    return s;
  }
  return doc.createNode('str' in r ? r.str : r.num) as Node;
}

/** Deep nesting is spliced into the text after serialising (the YAML library recurses per level). */
function nestedText(depth: number, flow: 'seq' | 'map'): string {
  return flow === 'seq' ? `${'['.repeat(depth)}leaf${']'.repeat(depth)}` : `${'{k: '.repeat(depth)}leaf${'}'.repeat(depth)}`;
}

const NEST_MARK = 'slipway-fuzz-nest-';

function setValue(slot: Slot, value: Node): void {
  if (isPair(slot.node)) slot.node.value = value;
  else {
    const i = slot.parent.items.indexOf(slot.node as never);
    if (i >= 0) (slot.parent.items as unknown[])[i] = value;
  }
}

const slotValue = (slot: Slot): unknown => (isPair(slot.node) ? slot.node.value : slot.node);

interface Marks {
  next: number;
  /** Placeholder scalar → the text it stands for. */
  nests: Map<string, string>;
}

function applyStruct(doc: ReturnType<typeof parseDocument>, op: StructOp, anchors: Marks): void {
  const all = slots(doc.contents as Node | null);
  if (all.length === 0) return;
  const slot = all[op.at % all.length]!;
  const items = slot.parent.items as unknown[];
  switch (op.op) {
    case 'drop':
      items.splice(items.indexOf(slot.node), 1);
      return;
    case 'duplicate': {
      const copy = isPair(slot.node) ? slot.node.clone() : (slot.node as Node).clone();
      items.splice(items.indexOf(slot.node) + 1, 0, copy);
      return;
    }
    case 'swap': {
      const other = all[op.with % all.length]!;
      const [a, b] = [slotValue(slot), slotValue(other)];
      if (a === b || !isNodeLike(a) || !isNodeLike(b)) return;
      setValue(slot, (b as Node).clone() as Node);
      setValue(other, (a as Node).clone() as Node);
      return;
    }
    case 'rename':
      if (isPair(slot.node)) slot.node.key = new Scalar(op.key);
      return;
    case 'replace':
      setValue(slot, valueNode(doc, op.value));
      return;
    case 'nest': {
      const mark = `${NEST_MARK}${anchors.next++}`;
      anchors.nests.set(mark, nestedText(op.depth, op.flow));
      setValue(slot, new Scalar(mark));
      return;
    }
    case 'alias': {
      // Anchor the target (in document order, an anchor must come before its alias).
      const [first, second] = [slot, all[op.to % all.length]!].sort((x, y) => all.indexOf(x) - all.indexOf(y));
      const target = slotValue(first!);
      if (!isNodeLike(target) || isAlias(target)) return;
      (target as Node & { anchor?: string }).anchor ??= `a${anchors.next++}`;
      setValue(second!, new Alias((target as Node & { anchor: string }).anchor));
      return;
    }
    case 'bomb': {
      // x-bomb-0: &b0 [lol, lol, …]; x-bomb-i: &bi [*b(i-1), …]; then the slot's value is *b(levels).
      const root = doc.contents;
      if (!isMap(root)) return;
      const base = `b${anchors.next++}_`;
      const lol = new YAMLSeq();
      lol.flow = true;
      for (let i = 0; i < op.width; i++) lol.items.push(new Scalar('lol'));
      lol.anchor = `${base}0`;
      root.items.unshift(new Pair(new Scalar(`x-bomb-${base}0`), lol));
      for (let l = 1; l <= op.levels; l++) {
        const seq = new YAMLSeq();
        seq.flow = true;
        for (let i = 0; i < op.width; i++) seq.items.push(new Alias(`${base}${l - 1}`));
        seq.anchor = `${base}${l}`;
        root.items.splice(l, 0, new Pair(new Scalar(`x-bomb-${base}${l}`), seq));
      }
      const later = slots(doc.contents as Node | null);
      const at = later[(op.at % Math.max(1, later.length - op.levels - 1)) + op.levels + 1] ?? later.at(-1)!;
      setValue(at, new Alias(`${base}${op.levels}`));
      return;
    }
  }
}

function isNodeLike(v: unknown): boolean {
  return isScalar(v) || isMap(v) || isSeq(v) || isAlias(v);
}

function applyText(text: string, op: TextOp): string {
  const at = text.length === 0 ? 0 : op.at % (text.length + 1);
  switch (op.op) {
    case 'flip':
      return text.slice(0, at) + op.text + text.slice(at + 1);
    case 'insert':
      return text.slice(0, at) + op.text + text.slice(at);
    case 'cut':
      return text.slice(0, at) + text.slice(at + op.length);
    case 'truncate':
      return text.slice(0, at);
    case 'dupline': {
      const start = text.lastIndexOf('\n', at - 1) + 1;
      const end = text.indexOf('\n', at);
      const line = text.slice(start, end < 0 ? text.length : end + 1);
      return text.slice(0, start) + line + (line.endsWith('\n') ? '' : '\n') + text.slice(start);
    }
  }
}

function splice(text: string, marks: Marks): string {
  for (const [mark, nested] of marks.nests) text = text.replace(mark, nested);
  return text;
}

/** Parsed seeds, so each input clones a document instead of parsing its seed again. */
export class Mutator {
  readonly #parsed = new Map<string, ReturnType<typeof parseDocument> | null>();

  #doc(seed: string): ReturnType<typeof parseDocument> | null {
    let d = this.#parsed.get(seed);
    if (d === undefined) {
      const parsed = parseDocument(seed, { uniqueKeys: false });
      d = parsed.errors.length === 0 ? parsed : null;
      this.#parsed.set(seed, d);
    }
    return d ? d.clone() : null;
  }

  /** The text of `seed` after the mutation's operations (structural first, then textual). */
  mutate(seed: string, m: Pick<Mutation, 'structural' | 'textual'>): string {
    let text = seed;
    if (m.structural.length > 0) {
      const doc = this.#doc(seed);
      if (doc) {
        const marks: Marks = { next: 0, nests: new Map() };
        for (const op of m.structural) applyStruct(doc, op, marks);
        try {
          text = splice(doc.toString({ lineWidth: 0 }), marks);
        } catch {
          text = this.#oneByOne(seed, m.structural);
        }
      }
    }
    for (const op of m.textual) text = applyText(text, op);
    return text;
  }

  /** Applies the operations one at a time, skipping each that the YAML library cannot serialise (e.g. an alias before its anchor). */
  #oneByOne(seed: string, ops: readonly StructOp[]): string {
    const doc = this.#doc(seed)!;
    const marks: Marks = { next: 0, nests: new Map() };
    let text = seed;
    for (const op of ops) {
      const before = doc.clone();
      try {
        applyStruct(doc, op, marks);
        text = doc.toString({ lineWidth: 0 });
      } catch {
        doc.contents = before.contents;
      }
    }
    return splice(text, marks);
  }
}
