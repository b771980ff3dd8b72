import * as hdr from 'hdr-histogram-js';
import { statusClass } from '../config/load-plan';

/** Highest latency tracked: one hour in microseconds. */
const MAX_US = 3_600_000_000;

/** An HDR histogram in microseconds, 3 significant digits. */
export function newHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: MAX_US, numberOfSignificantValueDigits: 3 });
}

/** Decodes a compressed base64 histogram into a fresh, mergeable one. */
export function decodeHistogram(encoded: string): hdr.Histogram {
  const h = newHistogram();
  h.add(hdr.decodeFromCompressedBase64(encoded));
  return h;
}

/** Encodes a histogram as compressed base64. */
export const encodeHistogram = (h: hdr.Histogram): string => hdr.encodeIntoCompressedBase64(h);

/**
 * A histogram as `[value, count, value, count, ...]` over its non-empty buckets, the lowest and highest with
 * the exact min and max. Load threads send these to their coordinator each second: building one scans only
 * the buckets between min and max (tens of microseconds), where compressing a histogram (deflate over all of
 * its 23,552 buckets) stalls the load thread's event loop for about a millisecond, delaying the responses that
 * arrive meanwhile.
 */
export type SparseHistogram = number[];

export function toSparse(histogram: hdr.Histogram): SparseHistogram {
  // newHistogram() builds a JsHistogram (32-bit counts), whose bucket accessors the Histogram interface omits.
  const h = histogram as hdr.JsHistogram;
  const out: SparseHistogram = [];
  if (h.totalCount === 0) return out;
  const lo = h.countsArrayIndex(h.minNonZeroValue);
  const hi = h.countsArrayIndex(h.maxValue);
  for (let i = lo; i <= hi; i++) {
    const c = h.getCountAtIndex(i);
    if (c === 0) continue;
    if (i === lo && i === hi && c > 1) out.push(h.minNonZeroValue, c - 1, h.maxValue, 1);
    else out.push(i === lo ? h.minNonZeroValue : i === hi ? h.maxValue : h.valueFromIndex(i), c);
  }
  return out;
}

export function addSparse(h: hdr.Histogram, s: SparseHistogram): void {
  for (let i = 0; i < s.length; i += 2) h.recordValueWithCount(s[i]!, s[i + 1]!);
}

/** How histograms are carried: compressed base64 (checkpoints, storage) or sparse (thread to coordinator). */
interface HistogramCodec<T> {
  encode(h: hdr.Histogram): T;
  add(h: hdr.Histogram, v: T): void;
}
const compressed: HistogramCodec<string> = {
  encode: encodeHistogram,
  add: (h, v) => h.add(hdr.decodeFromCompressedBase64(v)),
};
const sparse: HistogramCodec<SparseHistogram> = { encode: toSparse, add: addSparse };

/** Counters of one endpoint (request name). */
export interface EndpointCounters {
  requests: number;
  errors: number;
  statusCounts: Record<string, number>;
  /** Failures without an HTTP error status: `timeout`, `ECONNREFUSED`, `expect_body`, `body_too_large`, ... */
  errorKinds: Record<string, number>;
  /** 429 and 503 answers that carried a Retry-After header (a rejection that says when to come back). */
  retryAfter?: number;
}

/** The start of one error answer's body, as the target sent it (bounded; secrets are scrubbed before storing). */
export interface ErrorSample {
  endpoint: string;
  status: number;
  contentType: string;
  /** At most {@link ERROR_SAMPLE_BYTES} of the body, as UTF-8. */
  body: string;
  /** The body's whole length in bytes, when it was longer than the sample. */
  bytes: number;
}

/** A request marked with a W3C `traceparent` (scenario.traceSample): its trace id, endpoint, when and how it ended. */
export interface TraceMark {
  traceId: string;
  endpoint: string;
  /** When it finished (epoch ms). */
  atMs: number;
  ok: boolean;
  /** The answer's status, 0 when none came. */
  status: number;
}

/**
 * The marked requests kept per measurement (a phase's slice): enough to estimate the backend's effective sample rate
 * and to look a few up, bounded so that a days-long phase carries no more. Failed ones are kept apart (they are
 * looked up in the logs too).
 */
export const MAX_TRACE_MARKS = 100;
export const MAX_FAILED_TRACE_MARKS = 50;

/** How much of an error body is kept, how many samples per endpoint and status, and in all. */
export const ERROR_SAMPLE_BYTES = 512;
const ERROR_SAMPLES_PER_KEY = 3;
const MAX_ERROR_SAMPLES = 30;

/** Counters of one flow (a user journey): iterations finished, those with a failed step, and which step failed. */
export interface FlowCounters {
  iterations: number;
  failedIterations: number;
  /** The step that failed first, per step name (the iterations it failed). */
  failedSteps: Record<string, number>;
}

/** How a data source's rows were handed out: rows taken, times it wrapped to its first rows, users it stopped. */
export interface DataCounters {
  rowsUsed: number;
  wrapped: number;
  /** unique with onExhausted: stop: users stopped because no row was left for them. */
  exhausted: number;
}

/** Measurements as they cross thread, process and heartbeat boundaries: encoded histograms and counters. */
export interface EncodedMetrics<H = string> {
  /** Latency (µs) per `endpoint|statusClass`; corrected for coordinated omission in the open model. */
  histograms: Record<string, H>;
  /** Open model only: latency measured from the actual send, per endpoint. */
  uncorrected: Record<string, H>;
  endpoints: Record<string, EndpointCounters>;
  iterations: number;
  dropped: number;
  /** Error answers' bodies, bounded (absent in older checkpoints). */
  samples?: ErrorSample[];
  /** Requests marked with a traceparent: how many in all, and a bounded list of them (absent when none). */
  marked?: number;
  traces?: TraceMark[];
  /** Per flow: its counters and the duration (µs) of its iterations that passed (absent without flows). */
  flows?: Record<string, FlowCounters & { histogram: H }>;
  /** Per data source (absent without scenario.data). */
  data?: Record<string, DataCounters>;
}

const clampUs = (us: number) => Math.max(1, Math.min(Math.round(us), MAX_US));

/**
 * Records load measurements: a histogram per endpoint and status class, counters per endpoint.
 * Histograms are merged, never averaged; `encode()` and `merge()` carry them across boundaries.
 */
export class Metrics {
  private readonly hist = new Map<string, hdr.Histogram>();
  private readonly uncorrected = new Map<string, hdr.Histogram>();
  readonly endpoints: Record<string, EndpointCounters> = {};
  iterations = 0;
  dropped = 0;
  readonly samples: ErrorSample[] = [];
  /** Requests marked with a traceparent, and the first of them (ok and failed kept apart, each bounded). */
  marked = 0;
  readonly traces: TraceMark[] = [];
  readonly flows: Record<string, FlowCounters> = {};
  private readonly flowHist = new Map<string, hdr.Histogram>();
  readonly data: Record<string, DataCounters> = {};

  /**
   * Records a finished iteration of a flow: its duration from its first request to its last answer (think times
   * between steps included) goes to the flow's histogram when every step passed; a failed one is counted with
   * the step that failed first.
   */
  recordFlow(name: string, durationUs: number, failedStep?: string): void {
    const c = (this.flows[name] ??= { iterations: 0, failedIterations: 0, failedSteps: {} });
    c.iterations += 1;
    if (failedStep !== undefined) {
      c.failedIterations += 1;
      c.failedSteps[failedStep] = (c.failedSteps[failedStep] ?? 0) + 1;
    } else this.histFor(this.flowHist, name).recordValue(clampUs(durationUs));
  }

  /** The counters of a data source, made on first use. */
  dataCounters(source: string): DataCounters {
    return (this.data[source] ??= { rowsUsed: 0, wrapped: 0, exhausted: 0 });
  }

  /** The duration histogram (µs) of a flow's passed iterations. */
  flowLatency(name: string): hdr.Histogram {
    const out = newHistogram();
    const h = this.flowHist.get(name);
    if (h) out.add(h);
    return out;
  }

  /** Records a marked request (counted always, kept while there is room). */
  addTrace(t: TraceMark, counted = true): void {
    if (counted) this.marked += 1;
    let failed = 0;
    for (const x of this.traces) if (!x.ok) failed += 1;
    const room = t.ok ? this.traces.length - failed < MAX_TRACE_MARKS : failed < MAX_FAILED_TRACE_MARKS;
    if (room) this.traces.push(t);
  }

  /** Whether a sample of this endpoint's `status` answer is still wanted (bounded per key and in all). */
  wantsSample(endpoint: string, status: number): boolean {
    if (this.samples.length >= MAX_ERROR_SAMPLES) return false;
    let n = 0;
    for (const s of this.samples)
      if (s.endpoint === endpoint && s.status === status && ++n >= ERROR_SAMPLES_PER_KEY) return false;
    return true;
  }

  /** Keeps an error answer's sample while there is room. */
  addSample(s: ErrorSample): void {
    if (this.wantsSample(s.endpoint, s.status)) this.samples.push(s);
  }

  /** Counts a 429 or 503 answer that said when to retry. */
  recordRetryAfter(endpoint: string): void {
    const c = this.counters(endpoint);
    c.retryAfter = (c.retryAfter ?? 0) + 1;
  }

  private histFor(map: Map<string, hdr.Histogram>, key: string): hdr.Histogram {
    let h = map.get(key);
    if (!h) map.set(key, (h = newHistogram()));
    return h;
  }

  /** Per endpoint, the histogram of each status class (index 0: no response, 1..5: 1xx..5xx), cached. */
  private readonly byClass = new Map<string, Array<hdr.Histogram | undefined>>();

  private classHist(endpoint: string, status: number | undefined): hdr.Histogram {
    let row = this.byClass.get(endpoint);
    if (!row) this.byClass.set(endpoint, (row = []));
    const i = status ? Math.min(5, Math.max(1, Math.floor(status / 100))) : 0;
    return (row[i] ??= this.histFor(this.hist, `${endpoint}|${statusClass(status)}`));
  }

  private counters(endpoint: string): EndpointCounters {
    return (this.endpoints[endpoint] ??= { requests: 0, errors: 0, statusCounts: {}, errorKinds: {} });
  }

  /**
   * Records a finished request. `status` is undefined when no response came (then `errorKind` says why);
   * `uncorrectedUs` is given in the open model only.
   */
  record(
    endpoint: string,
    status: number | undefined,
    ok: boolean,
    latencyUs: number,
    errorKind?: string,
    uncorrectedUs?: number,
  ): void {
    const c = this.endpoints[endpoint] ?? this.counters(endpoint);
    c.requests += 1;
    if (!ok) c.errors += 1;
    if (status) c.statusCounts[status] = (c.statusCounts[status] ?? 0) + 1;
    if (errorKind) c.errorKinds[errorKind] = (c.errorKinds[errorKind] ?? 0) + 1;
    this.classHist(endpoint, status).recordValue(clampUs(latencyUs));
    if (uncorrectedUs !== undefined) this.histFor(this.uncorrected, endpoint).recordValue(clampUs(uncorrectedUs));
  }

  /** Adds encoded measurements (from a checkpoint or another generator). */
  merge(m: EncodedMetrics): void {
    this.mergeWith(m, compressed);
  }

  /** Adds a load thread's sparse delta. */
  mergeSparse(m: EncodedMetrics<SparseHistogram>): void {
    this.mergeWith(m, sparse);
  }

  private mergeWith<H>(m: EncodedMetrics<H>, codec: HistogramCodec<H>): void {
    for (const [k, v] of Object.entries(m.histograms)) codec.add(this.histFor(this.hist, k), v);
    for (const [k, v] of Object.entries(m.uncorrected)) codec.add(this.histFor(this.uncorrected, k), v);
    for (const [name, src] of Object.entries(m.endpoints)) {
      const c = this.counters(name);
      c.requests += src.requests;
      c.errors += src.errors;
      for (const [k, v] of Object.entries(src.statusCounts)) c.statusCounts[k] = (c.statusCounts[k] ?? 0) + v;
      for (const [k, v] of Object.entries(src.errorKinds)) c.errorKinds[k] = (c.errorKinds[k] ?? 0) + v;
      if (src.retryAfter) c.retryAfter = (c.retryAfter ?? 0) + src.retryAfter;
    }
    this.iterations += m.iterations;
    this.dropped += m.dropped;
    for (const s of m.samples ?? []) this.addSample(s);
    this.marked += m.marked ?? 0;
    for (const t of m.traces ?? []) this.addTrace(t, false);
    for (const [name, f] of Object.entries(m.flows ?? {})) {
      const c = (this.flows[name] ??= { iterations: 0, failedIterations: 0, failedSteps: {} });
      c.iterations += f.iterations;
      c.failedIterations += f.failedIterations;
      for (const [k, v] of Object.entries(f.failedSteps)) c.failedSteps[k] = (c.failedSteps[k] ?? 0) + v;
      codec.add(this.histFor(this.flowHist, name), f.histogram);
    }
    for (const [name, d] of Object.entries(m.data ?? {})) {
      const c = this.dataCounters(name);
      c.rowsUsed += d.rowsUsed;
      c.wrapped += d.wrapped;
      c.exhausted += d.exhausted;
    }
  }

  /** Encodes everything recorded. */
  encode(): EncodedMetrics {
    return this.encodeWith(compressed);
  }

  /** Everything recorded, with sparse histograms (a load thread's delta). */
  encodeSparse(): EncodedMetrics<SparseHistogram> {
    return this.encodeWith(sparse);
  }

  private encodeWith<H>(codec: HistogramCodec<H>): EncodedMetrics<H> {
    const enc = (map: Map<string, hdr.Histogram>) =>
      Object.fromEntries([...map].filter(([, h]) => h.totalCount > 0).map(([k, h]) => [k, codec.encode(h)]));
    return {
      histograms: enc(this.hist),
      uncorrected: enc(this.uncorrected),
      endpoints: structuredClone(this.endpoints),
      iterations: this.iterations,
      dropped: this.dropped,
      ...(this.samples.length ? { samples: this.samples.map((s) => ({ ...s })) } : {}),
      ...(this.marked ? { marked: this.marked, traces: this.traces.map((t) => ({ ...t })) } : {}),
      ...(Object.keys(this.flows).length
        ? {
            flows: Object.fromEntries(
              Object.entries(this.flows).map(([name, c]) => [
                name,
                { ...structuredClone(c), histogram: codec.encode(this.flowHist.get(name) ?? newHistogram()) },
              ]),
            ),
          }
        : {}),
      ...(Object.keys(this.data).length ? { data: structuredClone(this.data) } : {}),
    };
  }

  /** Clears everything (threads send deltas: encode, then reset). */
  reset(): void {
    for (const h of this.hist.values()) h.reset();
    for (const h of this.uncorrected.values()) h.reset();
    for (const k of Object.keys(this.endpoints)) delete this.endpoints[k];
    this.iterations = 0;
    this.dropped = 0;
    this.samples.length = 0;
    this.marked = 0;
    this.traces.length = 0;
    for (const k of Object.keys(this.flows)) delete this.flows[k];
    for (const h of this.flowHist.values()) h.reset();
    for (const k of Object.keys(this.data)) delete this.data[k];
  }

  /**
   * Latency histogram over the selected endpoints (all by default), merged across status classes.
   * Requests that got no response (`err`) are errors, not latency samples.
   */
  latency(endpoint?: string, opts: { uncorrected?: boolean } = {}): hdr.Histogram {
    const out = newHistogram();
    if (opts.uncorrected) {
      for (const [k, h] of this.uncorrected) if (!endpoint || k === endpoint) out.add(h);
      return out;
    }
    for (const [k, h] of this.hist) {
      const [name, cls] = k.split('|');
      if (cls !== 'err' && (!endpoint || name === endpoint)) out.add(h);
    }
    return out;
  }

  /**
   * Latency histogram over the given status classes (`4xx`, `5xx`, `err` for requests without an answer), all
   * endpoints: e.g. how long the failed requests took, to tell failing fast from hanging.
   */
  latencyOf(classes: string[]): hdr.Histogram {
    const out = newHistogram();
    for (const [k, h] of this.hist) if (classes.includes(k.split('|')[1]!)) out.add(h);
    return out;
  }

  /** True when any uncorrected (open model) samples exist. */
  hasUncorrected(): boolean {
    return [...this.uncorrected.values()].some((h) => h.totalCount > 0);
  }

  /** Totals over every endpoint. */
  totals(): {
    requests: number;
    errors: number;
    statusCounts: Record<string, number>;
    errorKinds: Record<string, number>;
  } {
    const t = {
      requests: 0,
      errors: 0,
      statusCounts: {} as Record<string, number>,
      errorKinds: {} as Record<string, number>,
    };
    for (const c of Object.values(this.endpoints)) {
      t.requests += c.requests;
      t.errors += c.errors;
      for (const [k, v] of Object.entries(c.statusCounts)) t.statusCounts[k] = (t.statusCounts[k] ?? 0) + v;
      for (const [k, v] of Object.entries(c.errorKinds)) t.errorKinds[k] = (t.errorKinds[k] ?? 0) + v;
    }
    return t;
  }
}

/** One second of the timeline, as recorded by one generator (mergeable across generators). */
export interface EncodedWindow<H = string> {
  second: number;
  requests: number;
  errors: number;
  /** Latency of responses in this second (µs). */
  histogram: H;
}

/** Accumulates per-second windows: requests, errors and a latency histogram per second. */
export class Timeline {
  private readonly windows = new Map<number, { requests: number; errors: number; hist: hdr.Histogram }>();
  private last: { second: number; w: { requests: number; errors: number; hist: hdr.Histogram } } | undefined;

  private at(second: number) {
    if (this.last?.second === second) return this.last.w;
    let w = this.windows.get(second);
    if (!w) this.windows.set(second, (w = { requests: 0, errors: 0, hist: newHistogram() }));
    this.last = { second, w };
    return w;
  }

  /** Records one finished request in its second. */
  record(second: number, ok: boolean, latencyUs: number | undefined): void {
    const w = this.at(second);
    w.requests += 1;
    if (!ok) w.errors += 1;
    if (latencyUs !== undefined) w.hist.recordValue(clampUs(latencyUs));
  }

  /** Adds an encoded window. */
  merge(e: EncodedWindow): void {
    this.mergeWith(e, compressed);
  }

  /** Adds a load thread's sparse window. */
  mergeSparse(e: EncodedWindow<SparseHistogram>): void {
    this.mergeWith(e, sparse);
  }

  private mergeWith<H>(e: EncodedWindow<H>, codec: HistogramCodec<H>): void {
    const w = this.at(e.second);
    w.requests += e.requests;
    w.errors += e.errors;
    codec.add(w.hist, e.histogram);
  }

  /** Removes and encodes every window before `beforeSecond` (all when omitted). */
  drain(beforeSecond = Infinity): EncodedWindow[] {
    return this.drainWith(compressed, beforeSecond);
  }

  /** {@link drain} with sparse histograms (a load thread's windows). */
  drainSparse(beforeSecond = Infinity): EncodedWindow<SparseHistogram>[] {
    return this.drainWith(sparse, beforeSecond);
  }

  private drainWith<H>(codec: HistogramCodec<H>, beforeSecond: number): EncodedWindow<H>[] {
    const out: EncodedWindow<H>[] = [];
    for (const [second, w] of [...this.windows].sort(([a], [b]) => a - b)) {
      if (second >= beforeSecond) continue;
      out.push({ second, requests: w.requests, errors: w.errors, histogram: codec.encode(w.hist) });
      this.windows.delete(second);
      if (this.last?.second === second) this.last = undefined;
    }
    return out;
  }
}
