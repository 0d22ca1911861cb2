// Runs `fn` over items with at most `limit` in flight; results keep the items' order.
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** Like Promise.allSettled over mapLimit: every item runs even when others fail. */
export async function settleLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T, i: number) => Promise<R>,
): Promise<({ ok: true; value: R } | { ok: false; error: unknown })[]> {
  return mapLimit(items, limit, async (t, i) => {
    try {
      return { ok: true as const, value: await fn(t, i) };
    } catch (error) {
      return { ok: false as const, error };
    }
  });
}
