// Shell quoting for the SSH boundary: the ONE place where an argv array becomes a string, because
// sshd hands the command to the remote user's login shell. Everything above passes argv arrays.

const SAFE = /^[A-Za-z0-9_\-.,:/=@%+]+$/;

/** Quotes one word for a POSIX shell: safe words stay bare, the rest go in single quotes. */
export function shellQuoteWord(word: string): string {
  if (word.includes('\0')) throw new Error(`cannot pass a NUL byte to a remote command: ${JSON.stringify(word)}`);
  if (word === '') return "''";
  if (SAFE.test(word)) return word;
  // Inside single quotes nothing is special except the quote itself: close, escape it, reopen.
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Joins argv into one command line that a POSIX shell splits back into exactly argv. */
export function shellQuote(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('cannot run an empty command');
  return argv.map(shellQuoteWord).join(' ');
}
