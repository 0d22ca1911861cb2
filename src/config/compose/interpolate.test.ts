// Compose interpolation: defaults resolved; unset variables become empty and are reported, as in compose.
import { describe, expect, it } from 'vitest';
import { interpolate } from './interpolate.ts';

const vars = { SET: 'v', EMPTY: '' };

describe('interpolate', () => {
  it.each([
    ['plain', 'plain', []],
    ['${SET}', 'v', []],
    ['$SET/x', 'v/x', []],
    ['${NOPE:-def}', 'def', []],
    ['${EMPTY:-def}', 'def', []],
    ['${EMPTY-def}', '', []],
    ['${NOPE-def}', 'def', []],
    ['${SET:+alt}', 'alt', []],
    ['${NOPE:+alt}', '', []],
    ['${NOPE:-${SET}}', 'v', []],
    ['${NOPE:-a ${ALSO_NOPE:-b} c}', 'a b c', []],
    ['$$SET and $${SET}', '$SET and ${SET}', []],
    ['cost: 5$', 'cost: 5$', []],
    ['${NOPE}', '', ['NOPE']],
    ['$NOPE', '', ['NOPE']],
    ['a-${NOPE}-b', 'a--b', ['NOPE']],
    ['${NOPE:?must be set}', '', ['NOPE']],
    ['${EMPTY:?must not be empty}', '', ['EMPTY']],
    ['${EMPTY?may be empty}', '', []],
    ['${SET:?must be set}', 'v', []],
    ['${1BAD}', '${1BAD}', ['1BAD']],
    ['${UNCLOSED', '${UNCLOSED', ['${UNCLOSED']],
  ] as const)('%s → %s', (text, value, unresolved) => {
    const r = interpolate(text, vars);
    expect(r.value).toBe(value);
    expect(r.unresolved.map((u) => u.name)).toEqual(unresolved);
  });

  it('tells unset, required and malformed apart', () => {
    expect(interpolate('${A} ${B:?x} ${1C}').unresolved.map((u) => u.kind)).toEqual(['unset', 'required', 'invalid']);
  });

  it('says why a required variable is missing', () => {
    expect(interpolate('${DB:?set DB first}').unresolved[0]!.message).toBe('variable DB is required: set DB first');
  });
});
