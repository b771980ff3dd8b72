/**
 * Comparing two latency distributions as Kayenta judges a canary: a Mann-Whitney U test over the stored
 * histograms (every request, bucketed as HDR histograms record them) for significance, and an effect size (how far
 * the median and p95 moved, relative and absolute) for whether the change matters. A regression needs both; too
 * little data is inconclusive, never "no change". Pure.
 */

/** A histogram as `[value, count, value, count, ...]`, values ascending (the engine's sparse form), in µs. */
export type SparseCounts = number[];

/** The verdict on one pair of distributions. */
export type ShiftVerdict = 'regressed' | 'improved' | 'unchanged' | 'inconclusive';

/** The test and the effect, with the verdict. */
export interface DistributionShift {
  verdict: ShiftVerdict;
  previous: { requests: number; p50Ms: number | null; p95Ms: number | null };
  current: { requests: number; p50Ms: number | null; p95Ms: number | null };
  /** Two-sided p-value of the Mann-Whitney U test (normal approximation, tie-corrected). */
  pValue: number | null;
  /** P(a current request is slower than a previous one) + half the ties: 0.5 is no shift. */
  probabilitySlower: number | null;
  /** Relative change of the median and the p95 (0.3 = 30 % slower). */
  p50Change: number | null;
  p95Change: number | null;
  /** Why, in words. */
  reason: string;
}

/** One endpoint of one phase, compared with the same endpoint of the same phase in the previous campaign. */
export interface EndpointShift extends DistributionShift {
  phase: string;
  endpoint: string;
}

/** How the comparison decides. */
export interface ShiftPolicy {
  /** Significance level of the test. */
  alpha: number;
  /** Smallest relative shift of the median or p95 that matters. */
  tolerance: number;
  /** Smallest absolute shift that matters, ms (loopback-fast endpoints jitter by a fraction of a millisecond). */
  floorMs: number;
  /** Fewest requests on each side for a verdict. */
  minRequests: number;
}

/** The default: p < 0.001, at least 10 % and 1 ms, at least 30 requests a side. */
export const DEFAULT_SHIFT_POLICY: ShiftPolicy = { alpha: 0.001, tolerance: 0.1, floorMs: 1, minRequests: 30 };

const total = (h: SparseCounts) => {
  let n = 0;
  for (let i = 1; i < h.length; i += 2) n += h[i]!;
  return n;
};

/** Several sparse histograms as one (counts of equal values added). */
export function mergeSparse(hs: SparseCounts[]): SparseCounts {
  const counts = new Map<number, number>();
  for (const h of hs) for (let i = 0; i < h.length; i += 2) counts.set(h[i]!, (counts.get(h[i]!) ?? 0) + h[i + 1]!);
  return [...counts].sort((a, b) => a[0] - b[0]).flat();
}

/** The value at percentile `p` (0-100) of a sparse histogram, ms; null when empty. */
export function percentileMs(h: SparseCounts, p: number): number | null {
  const n = total(h);
  if (!n) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  let seen = 0;
  for (let i = 0; i < h.length; i += 2) {
    seen += h[i + 1]!;
    if (seen >= rank) return h[i]! / 1000;
  }
  return h[h.length - 2]! / 1000;
}

/** The share of a histogram's requests slower than `value` (same unit as the histogram's values). */
function shareAbove(h: SparseCounts, value: number): number {
  const n = total(h);
  let above = 0;
  for (let i = 0; i < h.length; i += 2) if (h[i]! > value) above += h[i + 1]!;
  return n ? above / n : 0;
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 on erf; absolute error below 1.5e-7). */
function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/**
 * The Mann-Whitney U statistic of `current` against `previous` (ties at a bucket count half), its tie-corrected
 * two-sided p-value, and the probability that a current request is slower.
 */
export function mannWhitney(
  previousCounts: SparseCounts,
  currentCounts: SparseCounts,
): { u: number; pValue: number; probabilitySlower: number } | undefined {
  // Sorted, equal values merged: a histogram may list one value twice (its exact min or max beside its bucket).
  const [previous, current] = [mergeSparse([previousCounts]), mergeSparse([currentCounts])];
  const n1 = total(current);
  const n2 = total(previous);
  if (!n1 || !n2) return undefined;
  // Walk both histograms' distinct values in order: each value's requests share the average rank of their tie group.
  let i = 0;
  let j = 0;
  let rank = 0;
  let rankSum1 = 0;
  let tieTerm = 0;
  while (i < current.length || j < previous.length) {
    const v1 = i < current.length ? current[i]! : Infinity;
    const v2 = j < previous.length ? previous[j]! : Infinity;
    const v = Math.min(v1, v2);
    const c1 = v1 === v ? current[i + 1]! : 0;
    const c2 = v2 === v ? previous[j + 1]! : 0;
    const t = c1 + c2;
    const avg = rank + (t + 1) / 2;
    rankSum1 += c1 * avg;
    tieTerm += t * t * t - t;
    rank += t;
    if (v1 === v) i += 2;
    if (v2 === v) j += 2;
  }
  const u = rankSum1 - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  const z = variance > 0 ? (u - mean) / Math.sqrt(variance) : 0;
  return { u, pValue: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))), probabilitySlower: u / (n1 * n2) };
}

/** Judges whether `current` is slower, faster or the same as `previous`, by significance and effect. */
export function compareDistributions(
  previous: SparseCounts,
  current: SparseCounts,
  policy: ShiftPolicy = DEFAULT_SHIFT_POLICY,
): DistributionShift {
  const side = (h: SparseCounts) => ({ requests: total(h), p50Ms: percentileMs(h, 50), p95Ms: percentileMs(h, 95) });
  const prev = side(previous);
  const cur = side(current);
  const change = (a: number | null, b: number | null) =>
    a && b !== null ? Math.round(((b - a) / a) * 1000) / 1000 : null;
  const base = {
    previous: prev,
    current: cur,
    p50Change: change(prev.p50Ms, cur.p50Ms),
    p95Change: change(prev.p95Ms, cur.p95Ms),
  };
  if (prev.requests < policy.minRequests || cur.requests < policy.minRequests) {
    return {
      ...base,
      verdict: 'inconclusive',
      pValue: null,
      probabilitySlower: null,
      reason: `too few requests to judge (${prev.requests} before, ${cur.requests} now; at least ${policy.minRequests} each)`,
    };
  }
  const test = mannWhitney(previous, current)!;
  /**
   * Quantile q (0.5, 0.95) moved in direction `sign`: its value by more than the tolerance and the floor, and the
   * share of current requests past the previous value by more than 2 x the tolerance (relative): a quantile sitting
   * between two clusters (cache hits and misses) jumps on a tiny change of the mix, which is not a regression.
   */
  const moved = (q: number, a: number | null, b: number | null, sign: 1 | -1) => {
    if (a === null || b === null || !(sign * (b - a) > Math.max(policy.floorMs, policy.tolerance * a))) return false;
    const past = sign === 1 ? shareAbove(current, a * 1000) : 1 - shareAbove(current, a * 1000 - 1e-9);
    const expected = sign === 1 ? 1 - q : q;
    return past >= expected * (1 + 2 * policy.tolerance);
  };
  const pct = (c: number | null) => (c === null ? 'n/a' : `${c > 0 ? '+' : ''}${Math.round(c * 1000) / 10} %`);
  const figures = `median ${prev.p50Ms} -> ${cur.p50Ms} ms (${pct(base.p50Change)}), p95 ${prev.p95Ms} -> ${cur.p95Ms} ms (${pct(base.p95Change)}), p = ${test.pValue.toPrecision(2)}`;
  const significant = test.pValue < policy.alpha;
  // Slower when either quantile moved up (a faster median does not hide a slower tail); faster only when neither did.
  const up = moved(0.5, prev.p50Ms, cur.p50Ms, 1) || moved(0.95, prev.p95Ms, cur.p95Ms, 1);
  const down = moved(0.5, prev.p50Ms, cur.p50Ms, -1) || moved(0.95, prev.p95Ms, cur.p95Ms, -1);
  const slower = significant && up;
  const faster = significant && !up && down;
  const verdict: ShiftVerdict = slower ? 'regressed' : faster ? 'improved' : 'unchanged';
  const why =
    slower || faster
      ? figures
      : significant
        ? `${figures}: significant, but below ${Math.round(policy.tolerance * 100)} % and ${policy.floorMs} ms`
        : `${figures}: not significant`;
  return {
    ...base,
    verdict,
    pValue: test.pValue,
    probabilitySlower: Math.round(test.probabilitySlower * 1000) / 1000,
    reason: why,
  };
}
