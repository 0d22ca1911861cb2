// isStackOverflow: what counts as the YAML library running out of stack. The fuzzer found a
// 5,000-deep flow map that overflowed while V8 compiled one of the library's regular expressions,
// which V8 reports as a SyntaxError rather than a RangeError; both become the `yaml-too-deep`
// diagnostic, and any other error still propagates.
import { describe, expect, it } from 'vitest';
import { isStackOverflow, YamlSource } from './yaml-source.ts';

describe('isStackOverflow', () => {
  it('a RangeError, or a SyntaxError saying the stack ran out; nothing else', () => {
    expect(isStackOverflow(new RangeError('Maximum call stack size exceeded'))).toBe(true);
    expect(isStackOverflow(new SyntaxError('Invalid regular expression: /(.*?)[ \\t]*\\r?\\n/sy: Maximum call stack size exceeded'))).toBe(true);
    expect(isStackOverflow(new SyntaxError('Unexpected token } in JSON'))).toBe(false);
    expect(isStackOverflow(new Error('Maximum call stack size exceeded'))).toBe(false);
    expect(isStackOverflow('Maximum call stack size exceeded')).toBe(false);
  });

  it('a fleet file nested deeper than the parser can go is one diagnostic, not a crash', () => {
    const text = `${'['.repeat(200_000)}\n`;
    expect(() => new YamlSource('/x/slipway.yaml', text)).not.toThrow();
  });
});
