import type { Campaign } from '../config/schema';
import type { LoadPlan } from '../core/load-plan';
import type { EncodedMetrics, EncodedWindow } from './metrics';

/** What a load thread is started with (worker_threads workerData). Headers are already resolved. */
export interface ThreadInit {
  plan: LoadPlan;
  scenario: Campaign['scenario'];
  origin: string;
  headers: Record<string, string>;
  /** Epoch ms at which second 0 of the run begins (the same for every thread and generator). */
  startAtMs: number;
  /** Timeline second of `startAtMs` (non-zero when a run resumes). */
  secondOffset: number;
  /** Index of this thread's first user among all users of the run, for the global ramp-up. */
  firstUser: number;
  totalUsers: number;
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
  metrics: EncodedMetrics;
  windows: EncodedWindow[];
  health: IntervalHealth;
}

/** Coordinator -> thread. */
export interface ThreadCommand {
  type: 'stop';
}
