// Splits a command string into argv the way a POSIX shell would for simple words and quotes
// ("gunicorn app.wsgi -b 0.0.0.0:8000" → ["gunicorn", "app.wsgi", "-b", "0.0.0.0:8000"]).
// No expansion happens: commands run as argv arrays, never through a shell.

export function splitShellWords(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
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
