// Output: where text goes (a terminal, a captured buffer in tests, an HTTP stream later).
export interface Output {
  write(text: string): void;
}
