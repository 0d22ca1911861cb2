// bench/lib/stats.ts — a fixed-memory latency histogram (log-linear buckets, < 1 % relative error)
// so a long load run does not keep one number per request. Values are recorded in milliseconds and
// stored in whole microseconds; percentiles report the upper bound of the bucket, capped at the
// exact maximum seen.

/** Values below this many microseconds get one bucket each; above, 64 buckets per power of two. */
const LINEAR_LIMIT = 128;
const SUB_BUCKETS = 64;
/** Values are clamped to 2^32 - 1 µs (about 71 minutes). */
const MAX_US = 0xffffffff;

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function bucketOf(us: number): number {
  if (us < LINEAR_LIMIT) return us;
  const shift = 31 - Math.clz32(us) - 6; // floor(log2(us)) - 6, ≥ 1 because us ≥ 128
  const sub = Math.floor(us / 2 ** shift); // in [64, 128)
  return LINEAR_LIMIT + (shift - 1) * SUB_BUCKETS + (sub - SUB_BUCKETS);
}

/** The largest microsecond value that falls into bucket `index`. */
function upperBoundOf(index: number): number {
  if (index < LINEAR_LIMIT) return index;
  const shift = Math.floor((index - LINEAR_LIMIT) / SUB_BUCKETS) + 1;
  const sub = ((index - LINEAR_LIMIT) % SUB_BUCKETS) + SUB_BUCKETS;
  return (sub + 1) * 2 ** shift - 1;
}

export class LatencyHistogram {
  private counts: number[] = [];
  private total = 0;
  private maxUs = 0;

  /** Records one latency in milliseconds (negative values count as 0). */
  record(ms: number): void {
    const us = Math.min(MAX_US, Math.max(0, Math.round(ms * 1000)));
    const index = bucketOf(us);
    while (this.counts.length <= index) this.counts.push(0);
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.total++;
    if (us > this.maxUs) this.maxUs = us;
  }

  get count(): number {
    return this.total;
  }

  /** The latency (ms) at or below which `p` percent of the recorded values fall; 0 when empty. */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(upperBoundOf(i), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  summary(): LatencySummary {
    return {
      p50: round3(this.percentile(50)),
      p95: round3(this.percentile(95)),
      p99: round3(this.percentile(99)),
      max: round3(this.maxUs / 1000),
    };
  }
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
