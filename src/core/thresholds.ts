/**
 * k6-style thresholds: `p(95)<500`, `avg<200`, `max<2000`, `error_rate<0.01`, `rps>100`.
 * Parsing is separate from evaluation so the validator can reject bad expressions by field.
 */

/** The metric a threshold is judged on. Latencies are milliseconds; error_rate is a ratio 0..1. */
export type ThresholdMetric =
  | { kind: 'percentile'; percentile: number }
  | { kind: 'avg' }
  | { kind: 'max' }
  | { kind: 'error_rate' }
  | { kind: 'rps' };

export type Comparator = '<' | '<=' | '>' | '>=';

/** A parsed threshold expression. */
export interface Threshold {
  source: string;
  metric: ThresholdMetric;
  op: Comparator;
  value: number;
}

/** What a threshold is evaluated against: one phase's (or window's) own numbers. */
export interface ThresholdSample {
  latencyMs: { avg: number; max: number; percentile: (p: number) => number };
  errorRate: number;
  throughputRps: number;
  requests: number;
}

/** The outcome of one threshold on one sample. */
export interface ThresholdResult {
  threshold: string;
  /** Set when the threshold is scoped to one endpoint (request name). */
  endpoint?: string;
  /** Set when the threshold is scoped to a flow (judged on its journeys). */
  flow?: string;
  ok: boolean;
  observed: number;
}

const ALLOWED_PERCENTILES = new Set([50, 75, 90, 95, 99, 99.9]);
const EXPR_RE = /^\s*(p\((\d+(?:\.\d+)?)\)|avg|max|error_rate|rps)\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)\s*$/;

/** Parses one threshold expression; returns an error message instead of throwing. */
export function parseThreshold(source: string): Threshold | { error: string } {
  const m = EXPR_RE.exec(source);
  if (!m) {
    return {
      error: `invalid threshold "${source}": expected e.g. p(95)<500, avg<200, max<2000, error_rate<0.01 or rps>100`,
    };
  }
  const [, name, pct, op, rawValue] = m;
  const value = Number(rawValue);
  let metric: ThresholdMetric;
  if (pct !== undefined) {
    const percentile = Number(pct);
    if (!ALLOWED_PERCENTILES.has(percentile)) {
      return {
        error: `invalid threshold "${source}": percentile must be one of ${[...ALLOWED_PERCENTILES].join(', ')}`,
      };
    }
    metric = { kind: 'percentile', percentile };
  } else {
    metric = { kind: name as 'avg' | 'max' | 'error_rate' | 'rps' };
  }
  if (metric.kind === 'error_rate' && value > 1) {
    return { error: `invalid threshold "${source}": error_rate is a ratio between 0 and 1 (use 0.01 for 1%)` };
  }
  return { source, metric, op: op as Comparator, value };
}

/** Narrows a parse result to a threshold. */
export function isThreshold(t: Threshold | { error: string }): t is Threshold {
  return !('error' in t);
}

function observe(metric: ThresholdMetric, s: ThresholdSample): number {
  switch (metric.kind) {
    case 'percentile':
      return s.latencyMs.percentile(metric.percentile);
    case 'avg':
      return s.latencyMs.avg;
    case 'max':
      return s.latencyMs.max;
    case 'error_rate':
      return s.errorRate;
    case 'rps':
      return s.throughputRps;
  }
}

function compare(observed: number, op: Comparator, value: number): boolean {
  switch (op) {
    case '<':
      return observed < value;
    case '<=':
      return observed <= value;
    case '>':
      return observed > value;
    case '>=':
      return observed >= value;
  }
}

/**
 * Evaluates thresholds on one sample. A sample with zero requests fails every threshold:
 * no evidence is never a pass.
 */
export function evaluateThresholds(thresholds: Threshold[], sample: ThresholdSample): ThresholdResult[] {
  return thresholds.map((t) => {
    if (sample.requests === 0) return { threshold: t.source, ok: false, observed: Number.NaN };
    const observed = observe(t.metric, sample);
    return { threshold: t.source, ok: compare(observed, t.op, t.value), observed };
  });
}

/** A threshold expression with the scope written after it, k6-style: `p(95)<2000 {flow: checkout}`. */
export interface ScopedExpression {
  expr: string;
  endpoint?: string;
  flow?: string;
}

const SCOPE_RE = /^(.*?)\s*\{\s*(flow|endpoint)\s*:\s*([A-Za-z0-9_-]+)\s*\}\s*$/;

/**
 * Splits a threshold written with a scope (`p(95)<2000 {flow: checkout}`, `error_rate<0.01 {endpoint: login}`) into
 * its expression and scope; a threshold without one is returned as is.
 */
export function splitScope(source: string): ScopedExpression {
  const m = SCOPE_RE.exec(source);
  if (!m) return { expr: source };
  return m[2] === 'flow' ? { expr: m[1]!, flow: m[3]! } : { expr: m[1]!, endpoint: m[3]! };
}
