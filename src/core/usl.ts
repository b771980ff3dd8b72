/**
 * The Universal Scalability Law (Gunther): throughput at concurrency N is X(N) = λN / (1 + σ(N - 1) + κN(N - 1)),
 * λ the throughput of one user, σ contention (queueing on a shared resource), κ coherency (the cost of keeping
 * copies consistent: what makes throughput fall past a peak). Fitted by least squares on the measured levels. Pure.
 */

import { round } from './numbers';

/** One measured level: concurrency (users) and throughput (req/s). */
export interface LevelPoint {
  n: number;
  x: number;
}

/** A fitted model, or why there is none. */
export type UslFit =
  | {
      evaluable: true;
      lambda: number;
      sigma: number;
      kappa: number;
      /** The concurrency of peak throughput, sqrt((1 - σ) / κ); null when κ is 0 (no peak: throughput only flattens). */
      peakUsers: number | null;
      /** The throughput at peakUsers (or the asymptote λ/σ when there is no peak; null when neither exists). */
      peakThroughputRps: number | null;
      /** Goodness of fit on throughput (1 = exact). */
      r2: number;
      /** Root-mean-square error of the fit as a share of the mean throughput (0 = exact). */
      cvRmse: number;
      points: number;
    }
  | { evaluable: false; reason: string; points: number };

/**
 * The least points a fit is made from, and what makes it good enough to use: R² at least USL_MIN_R2, or, where the
 * levels hardly vary (a plateau: the mean alone already explains them, so R² says little), the fit within
 * USL_MAX_CV_RMSE of the mean throughput on average.
 */
export const USL_MIN_POINTS = 4;
export const USL_MIN_R2 = 0.8;
export const USL_MAX_CV_RMSE = 0.05;

/** Solves the 3x3 system `a·v = b` (Gaussian elimination with partial pivoting); undefined when singular. */
function solve3(a: number[][], b: number[]): number[] | undefined {
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < 3; c++) {
    let p = c;
    for (let r = c + 1; r < 3; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    if (Math.abs(m[p]![c]!) < 1e-12) return undefined;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = 0; r < 3; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k < 4; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return [0, 1, 2].map((i) => m[i]![3]! / m[i]![i]!);
}

/** Least squares of y on the columns of `cols` (plus an intercept when `intercept`). */
function leastSquares(rows: Array<{ y: number; cols: number[] }>): number[] | undefined {
  const k = rows[0]!.cols.length;
  const ata = Array.from({ length: 3 }, (_, i) =>
    Array.from({ length: 3 }, (_, j) => (i < k && j < k ? 0 : i === j ? 1 : 0)),
  );
  const atb = [0, 0, 0];
  for (const { y, cols } of rows) {
    for (let i = 0; i < k; i++) {
      atb[i]! += cols[i]! * y;
      for (let j = 0; j < k; j++) ata[i]![j]! += cols[i]! * cols[j]!;
    }
  }
  return solve3(ata, atb)?.slice(0, k);
}

/** The throughput the model predicts at `n`. */
export function uslThroughput(n: number, p: { lambda: number; sigma: number; kappa: number }): number {
  return (p.lambda * n) / (1 + p.sigma * (n - 1) + p.kappa * n * (n - 1));
}

/**
 * Fits the USL to measured levels. Linearised as N/X = a + b(N - 1) + c·N(N - 1) (a = 1/λ, b = σ/λ, c = κ/λ) and
 * solved by least squares (a negative σ or κ is pinned to 0 and the rest refitted: they are costs), then refined by
 * nonlinear least squares on throughput. Not evaluable below USL_MIN_POINTS distinct levels, without throughput, or
 * when the fit is poor: R² below USL_MIN_R2 and an error above USL_MAX_CV_RMSE of the mean.
 */
export function fitUsl(levels: LevelPoint[]): UslFit {
  const byN = new Map<number, number[]>();
  for (const l of levels) if (l.n > 0 && Number.isFinite(l.x) && l.x > 0) byN.set(l.n, [...(byN.get(l.n) ?? []), l.x]);
  const pts = [...byN]
    .map(([n, xs]) => ({ n, x: xs.reduce((a, b) => a + b, 0) / xs.length }))
    .sort((a, b) => a.n - b.n);
  if (pts.length < USL_MIN_POINTS) {
    return {
      evaluable: false,
      reason: `${pts.length} measured level(s) with throughput; the model needs at least ${USL_MIN_POINTS}`,
      points: pts.length,
    };
  }
  const fit = (useSigma: boolean, useKappa: boolean) => {
    const rows = pts.map(({ n, x }) => ({
      y: n / x,
      cols: [1, ...(useSigma ? [n - 1] : []), ...(useKappa ? [n * (n - 1)] : [])],
    }));
    const c = leastSquares(rows);
    if (!c) return undefined;
    const a = c[0]!;
    const b = useSigma ? c[1]! : 0;
    const k = useKappa ? c[useSigma ? 2 : 1]! : 0;
    return a > 0 ? { lambda: 1 / a, sigma: b / a, kappa: k / a } : undefined;
  };
  let p = fit(true, true);
  if (p && (p.sigma < 0 || p.kappa < 0)) {
    const candidates = [
      p.sigma < 0 ? undefined : fit(true, false),
      p.kappa < 0 ? undefined : fit(false, true),
      fit(false, false),
    ].filter((q): q is NonNullable<typeof q> => !!q && q.sigma >= 0 && q.kappa >= 0);
    p = candidates.sort((q1, q2) => sse(q1) - sse(q2))[0];
  }
  // The linearised fit minimises the error on N/X; refine it on throughput itself, the quantity reported.
  const start = p ?? { lambda: Math.max(...pts.map((q) => q.x / q.n)), sigma: 0.01, kappa: 0 };
  const refined = refine(start);
  if (!p || sse(refined) < sse(p)) p = refined;
  if (!(p.lambda > 0)) {
    return {
      evaluable: false,
      reason:
        'the model fits poorly: no positive single-user throughput explains the levels (throughput does not follow a scalability curve)',
      points: pts.length,
    };
  }
  const mean = pts.reduce((s, q) => s + q.x, 0) / pts.length;
  const total = pts.reduce((s, q) => s + (q.x - mean) ** 2, 0);
  const r2 = total > 0 ? 1 - sse(p) / total : sse(p) === 0 ? 1 : 0;
  const cvRmse = Math.sqrt(sse(p) / pts.length) / mean;
  if (r2 < USL_MIN_R2 && cvRmse > USL_MAX_CV_RMSE) {
    return {
      evaluable: false,
      reason: `the model fits poorly (R² ${round(r2, 3)} < ${USL_MIN_R2}, error ${round(cvRmse * 100, 1)} % of the mean throughput > ${USL_MAX_CV_RMSE * 100} %): throughput does not follow a scalability curve`,
      points: pts.length,
    };
  }
  // σ >= 1: every user added costs more than it brings, so one user is the peak. Otherwise the peak is N* (κ > 0),
  // or, without a coherency cost, there is none and throughput tends to λ/σ.
  const peakUsers = p.sigma >= 1 ? 1 : p.kappa > 0 ? Math.max(1, Math.sqrt((1 - p.sigma) / p.kappa)) : null;
  const peakThroughputRps = peakUsers !== null ? uslThroughput(peakUsers, p) : p.sigma > 0 ? p.lambda / p.sigma : null;
  return {
    evaluable: true,
    lambda: significant(p.lambda),
    sigma: significant(p.sigma),
    kappa: significant(p.kappa),
    peakUsers: peakUsers === null ? null : round(peakUsers, 1),
    peakThroughputRps: peakThroughputRps === null ? null : round(peakThroughputRps, 1),
    r2: round(r2, 4),
    cvRmse: round(cvRmse, 4),
    points: pts.length,
  };

  function sse(q: UslParams): number {
    return pts.reduce((s, { n, x }) => s + (x - uslThroughput(n, q)) ** 2, 0);
  }

  /**
   * Levenberg-Marquardt on the throughput residuals, σ and κ kept at 0 or above (projected after each step); the
   * columns of the Jacobian are scaled to unit length, since λ, σ and κ differ by orders of magnitude.
   */
  function refine(from: UslParams): UslParams {
    let cur = { ...from, sigma: Math.max(0, from.sigma), kappa: Math.max(0, from.kappa) };
    let err = sse(cur);
    let mu = 1e-3;
    for (let it = 0; it < 200 && err > 0; it++) {
      const jac = pts.map(({ n }) => {
        const d = 1 + cur.sigma * (n - 1) + cur.kappa * n * (n - 1);
        const top = cur.lambda * n;
        return [n / d, (-top * (n - 1)) / d ** 2, (-top * n * (n - 1)) / d ** 2];
      });
      const res = pts.map(({ n, x }) => x - uslThroughput(n, cur));
      const norms = [0, 1, 2].map((j) => Math.sqrt(jac.reduce((s, row) => s + row[j]! ** 2, 0)) || 1);
      const jtj = [0, 1, 2].map((i) =>
        [0, 1, 2].map((j) => jac.reduce((s, row) => s + (row[i]! / norms[i]!) * (row[j]! / norms[j]!), 0)),
      );
      const jtr = [0, 1, 2].map((i) => jac.reduce((s, row, r) => s + (row[i]! / norms[i]!) * res[r]!, 0));
      let improved = false;
      for (let tries = 0; tries < 30 && !improved; tries++) {
        const step = solve3(
          jtj.map((row, i) => row.map((v, j) => (i === j ? v * (1 + mu) : v))),
          jtr,
        );
        if (!step) {
          mu *= 10;
          continue;
        }
        const next = {
          lambda: cur.lambda + step[0]! / norms[0]!,
          sigma: Math.max(0, cur.sigma + step[1]! / norms[1]!),
          kappa: Math.max(0, cur.kappa + step[2]! / norms[2]!),
        };
        const e = next.lambda > 0 ? sse(next) : Infinity;
        if (e < err) {
          improved = true;
          const gain = (err - e) / err;
          cur = next;
          err = e;
          mu = Math.max(1e-9, mu / 3);
          if (gain < 1e-12) return cur;
        } else mu *= 4;
      }
      if (!improved) break;
    }
    return cur;
  }
}

type UslParams = { lambda: number; sigma: number; kappa: number };

/** Six significant digits (κ is often of the order of 1e-9: fixed decimals would print it as 0). */
function significant(v: number): number {
  return v === 0 || !Number.isFinite(v) ? 0 : Number(v.toPrecision(6));
}
