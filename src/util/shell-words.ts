// Splits a command string into argv the way a POSIX shell would for words, quotes, backslashes and
// line continuations ("gunicorn app.wsgi -b 0.0.0.0:8000" → ["gunicorn", "app.wsgi", "-b",
// "0.0.0.0:8000"]). No expansion, globbing, comment or operator: commands run as argv arrays, never
// through a shell, so `$HOME`, `*`, `#x` and `&&` stay words. Kept hand-written: every npm
// splitter measured disagrees with /bin/sh on some of these (docs/decisions.md), and
// shell-words.test.ts checks this one against /bin/sh itself.

export function splitShellWords(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const next = text[i + 1];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && next === '\n')
        i++; // line continuation
      else if (c === '\\' && quote === '"' && next !== undefined && '"\\$`'.includes(next)) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && next === '\n') {
      i++; // line continuation: the backslash and the newline disappear
    } else if (c === '\\' && next !== undefined) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote in command: ${text}`);
  if (inWord) out.push(cur);
  return out;
}
