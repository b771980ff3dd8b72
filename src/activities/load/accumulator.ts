import * as hdr from 'hdr-histogram-js';
import type { LatencySummaryMs } from '../../core/types';

/** Highest latency the histograms track: one hour, in microseconds. */
const MAX_TRACKABLE_US = 3_600_000_000;

/** Creates an HDR histogram in microseconds with 3 significant digits. */
export function newHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: MAX_TRACKABLE_US, numberOfSignificantValueDigits: 3 });
}

/**
 * A phase's checkpoint: everything measured so far, small enough to heartbeat (a few KB).
 * After a crash the next attempt starts from it, so nothing is counted twice or lost beyond
 * one heartbeat interval.
 */
export interface LoadCheckpoint {
  elapsedMs: number;
  requests: number;
  errors: number;
  statusCounts: Record<string, number>;
  errorCounts: Record<string, number>;
  histogramUs: string;
  /** True once the load has finished and only persisting is left. */
  done: boolean;
}

/** Accumulates one phase's measurements: an HDR histogram (µs) and counters. */
export class LoadAccumulator {
  readonly histogram: hdr.Histogram;
  requests = 0;
  errors = 0;
  statusCounts: Record<string, number> = {};
  errorCounts: Record<string, number> = {};

  constructor(histogram?: hdr.Histogram) {
    this.histogram = newHistogram();
    if (histogram) this.histogram.add(histogram);
  }

  /** Restores an accumulator from a checkpoint. */
  static fromCheckpoint(cp: LoadCheckpoint): LoadAccumulator {
    const acc = new LoadAccumulator(hdr.decodeFromCompressedBase64(cp.histogramUs));
    acc.requests = cp.requests;
    acc.errors = cp.errors;
    acc.statusCounts = { ...cp.statusCounts };
    acc.errorCounts = { ...cp.errorCounts };
    return acc;
  }

  /** Records a response: its latency, status code, and whether it met expectations. */
  recordResponse(latencyUs: number, status: number, ok: boolean): void {
    this.histogram.recordValue(Math.max(1, Math.min(Math.round(latencyUs), MAX_TRACKABLE_US)));
    this.requests += 1;
    const key = String(status);
    this.statusCounts[key] = (this.statusCounts[key] ?? 0) + 1;
    if (!ok) this.errors += 1;
  }

  /** Records a request that got no response (timeout, refused, reset): an error with no latency sample. */
  recordTransportError(kind: string): void {
    this.requests += 1;
    this.errors += 1;
    this.errorCounts[kind] = (this.errorCounts[kind] ?? 0) + 1;
  }

  /** Encodes the histogram (compressed base64). */
  encodeHistogram(): string {
    return hdr.encodeIntoCompressedBase64(this.histogram);
  }

  /** Snapshot for a heartbeat. */
  checkpoint(elapsedMs: number, done = false): LoadCheckpoint {
    return {
      elapsedMs, requests: this.requests, errors: this.errors, statusCounts: { ...this.statusCounts },
      errorCounts: { ...this.errorCounts }, histogramUs: this.encodeHistogram(), done,
    };
  }

  /** Latency summary in milliseconds; NaN everywhere when nothing was recorded. */
  latencyMs(): LatencySummaryMs {
    const h = this.histogram;
    if (h.totalCount === 0) return { p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN, avg: Number.NaN };
    const at = (p: number) => h.getValueAtPercentile(p) / 1000;
    return { p50: at(50), p95: at(95), p99: at(99), max: h.maxValue / 1000, avg: h.mean / 1000 };
  }

  /** Percentile in milliseconds (for thresholds). */
  percentileMs(p: number): number {
    return this.histogram.totalCount === 0 ? Number.NaN : this.histogram.getValueAtPercentile(p) / 1000;
  }
}
