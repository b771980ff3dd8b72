import type { Campaign } from '../config/schema';
import type { LoadPlan } from '../config/load-plan';
import type { EncodedMetrics, EncodedWindow, SparseHistogram } from './metrics';
import type { DataSourceRun, FeedPosition } from './data-feed';

/** What a load thread is started with (worker_threads workerData). Headers are already resolved. */
export interface ThreadInit {
  plan: LoadPlan;
  scenario: Campaign['scenario'];
  origin: string;
  headers: Record<string, string>;
  /**
   * Closed model: users start this long before the start and what they send before it is not recorded
   * (generator warm-up: connections opened, code compiled and optimised). 0 when not set.
   */
  warmupMs: number;
  /** Timeline second of the start (non-zero when a run resumes). */
  secondOffset: number;
  /** Index of this thread's first user among all users of the run, for the global ramp-up. */
  firstUser: number;
  totalUsers: number;
  /** Data sources by name (scenario.data), their rows read from the results store. */
  data?: Record<string, DataSourceRun>;
  /** This thread's place among every thread of the run (unique rows are split by it). */
  position: FeedPosition;
  /** HTTP/2 (target.http2): offered by ALPN over TLS, h2c with prior knowledge over plain http. */
  http2?: boolean;
  /** Extra trusted CA certificates (PEM) for an https target; default: Node's (and NODE_EXTRA_CA_CERTS). */
  ca?: string;
}

/** Generator health over one flush interval of one thread. */
export interface IntervalHealth {
  /** Event-loop delay p99 and max (ms). */
  eldP99Ms: number;
  eldMaxMs: number;
  /** Event-loop utilisation 0..1. */
  elu: number;
  /** Open model: p99 of (actual start - intended start) for iterations that had capacity (ms). */
  lagP99Ms: number;
  inFlight: number;
}

/** Thread -> coordinator: measurements since the previous message. */
export interface ThreadTick {
  type: 'tick' | 'done';
  /** The thread's current second: every window before it is complete (sent now or before). */
  through: number;
  metrics: EncodedMetrics<SparseHistogram>;
  windows: EncodedWindow<SparseHistogram>[];
  health: IntervalHealth;
}

/** Thread -> coordinator: booted, waiting for `start`. */
export interface ThreadReady {
  type: 'ready';
}

/**
 * Coordinator -> thread: `start` once every thread is ready, with the epoch ms at which second 0 of the run
 * begins (the same for every thread and generator); `stop` to end the run early.
 */
export type ThreadCommand = { type: 'start'; startAtMs: number } | { type: 'stop' } | ThreadLevel;

/**
 * Coordinator -> thread: from `atMs` (epoch ms), run `level` (this thread's share: users in the closed model,
 * arrivals per second in the open one). Users added start spread over `rampMs` from `atMs`; users removed stop
 * after their request in flight; the open model's rate moves linearly over `rampMs`. A continuous ramp (stress,
 * spike) sends one per step to the threads it keeps running.
 */
export interface ThreadLevel {
  type: 'level';
  atMs: number;
  level: number;
  rampMs: number;
}
