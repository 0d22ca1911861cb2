// Tests for splitShellWords: a table of command lines split exactly as /bin/sh splits them (the
// shell is asked, not assumed), plus what is deliberately not shell-like (no expansion) and errors.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { splitShellWords } from './shell-words.ts';

/** Command lines without expansions, so the shell's split is comparable. */
const LINES = [
  'gunicorn app.wsgi -b 0.0.0.0:8000',
  "sh -c 'echo $HOME && ls'",
  'sh -c "echo \\"hi\\" \\$HOME \\`id\\`"',
  'echo a\\ b',
  `echo '' ""`,
  `echo "it's"`,
  `python -c "print('x')"`,
  "'it'\"'\"'s'",
  '"a"\'b\'c',
  '\'a\\\\\'"b"', // backslashes in single quotes stay, then a double-quoted part (shlex gets this wrong)
  'a\\\\\\\\"x"',
  '"a\\b" "\\\\"',
  'a  b\tc',
  'gunicorn app \\\n  -b 0.0.0.0:8000',
  '"multi \\\nline"',
  'echo a#b',
  '   ',
  '',
];

/** How /bin/sh splits `line` into words. */
function shSplit(line: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${line}`]).toString('utf8');
  return line.trim() ? out.split('\0').slice(0, -1) : [];
}

describe('splitShellWords', () => {
  it.each(LINES)('splits %j as /bin/sh does', (line) => {
    expect(splitShellWords(line)).toEqual(shSplit(line));
  });

  it('treats a newline as a space (a command written over several YAML lines), unlike a shell', () => {
    expect(splitShellWords('celery -A app\n  worker\n')).toEqual(['celery', '-A', 'app', 'worker']);
  });

  it('expands nothing: variables, globs, comments and operators stay words', () => {
    expect(splitShellWords('node server.js --name=$NAME ${DIR:-/x} * #x && ~')).toEqual([
      'node',
      'server.js',
      '--name=$NAME',
      '${DIR:-/x}',
      '*',
      '#x',
      '&&',
      '~',
    ]);
  });

  it('refuses an unterminated quote, naming the quote', () => {
    expect(() => splitShellWords("gunicorn 'app")).toThrow("unterminated ' quote in command: gunicorn 'app");
    expect(() => splitShellWords('echo "hi')).toThrow('unterminated " quote in command: echo "hi');
  });
});
