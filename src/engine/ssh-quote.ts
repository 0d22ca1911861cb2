// Shell quoting for the SSH boundary: the ONE place where an argv array becomes a string, because
// sshd hands the command to the remote user's login shell. Everything above passes argv arrays.
// The quoting is shlex's (Python's shlex.quote); what is ours is refusing what no quoting can
// carry: a NUL byte (the shell would cut the word there) and an empty command.
import { quote } from 'shlex';

/** Quotes one word for a POSIX shell: safe words stay bare, the rest go in single quotes. */
export function shellQuoteWord(word: string): string {
  if (word.includes('\0')) throw new Error(`cannot pass a NUL byte to a remote command: ${JSON.stringify(word)}`);
  return quote(word);
}

/** Joins argv into one command line that a POSIX shell splits back into exactly argv. */
export function shellQuote(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('cannot run an empty command');
  return argv.map(shellQuoteWord).join(' ');
}
