/**
 * Writes one generator's timeline and keeps it bounded for phases that run for days: each batch of finished
 * seconds is stored as it comes (a crash loses at most the seconds not yet written), then the windows that are old
 * enough are merged into coarser rows (core/downsample.ts decides which). A pass that fails (the results database
 * is down) is simply done again by the next one.
 */
import { planCompaction, type CompactionState, type TimelineResolution } from '../../core/downsample';
import type { EncodedWindow } from '../../engine/metrics';
import type { ResultsStore } from '../../infra/results-store';

/** Where one generator's timeline goes, and how it is kept. */
export interface TimelineTarget {
  store: ResultsStore;
  campaignId: string;
  phase: string;
  slice: number;
  /** Undefined: every second is kept (short phases, and phases whose seconds are judged). */
  resolution?: TimelineResolution;
  /** Seconds that are events for this phase (stage changes), read at each pass. */
  events?: () => number[];
  /** Ranges kept per second whatever the budget (read at each pass). */
  pinned?: () => Array<{ from: number; to: number }>;
}

/** Stores a generator's finished seconds and downsamples what is old enough. */
export class TimelineWriter {
  private state: CompactionState | undefined;
  private newest = -1;

  constructor(private readonly t: TimelineTarget) {}

  /**
   * Stores finished seconds (idempotent per second), then runs a compaction pass. Throws only when the seconds could
   * not be stored; a pass that fails is done again by the next one.
   */
  async write(windows: EncodedWindow[]): Promise<void> {
    if (!windows.length) return;
    await this.t.store.upsertTimeline(this.t.campaignId, this.t.phase, this.t.slice, windows);
    for (const w of windows) this.newest = Math.max(this.newest, w.second);
    await this.compact().catch(() => undefined);
  }

  /**
   * The last pass, when the load is over: everything up to the final event margin (the end of a phase is one). A
   * retried activity that wrote nothing itself finds where the timeline ends in the store.
   */
  async finish(): Promise<void> {
    const r = this.t.resolution;
    if (!r || !r.tiers.length) return;
    if (this.newest < 0) {
      const found = await this.t.store.compactionState(this.t.campaignId, this.t.phase, this.t.slice, r.fullS);
      this.state = { doneUpTo: found.doneUpTo, eventSeconds: found.eventSeconds };
      this.newest = found.newest;
    }
    await this.compact();
  }

  private async compact(): Promise<void> {
    const r = this.t.resolution;
    const safeUpTo = this.newest + 1 - (r?.eventMarginS ?? 0);
    if (!r || !r.tiers.length || this.newest < 0 || safeUpTo <= r.fullS) return;
    const { store, campaignId, phase, slice } = this.t;
    if (!this.state) {
      const found = await store.compactionState(campaignId, phase, slice, r.fullS);
      this.state = { doneUpTo: found.doneUpTo, eventSeconds: found.eventSeconds };
    }
    // Nothing to decide until the next window is complete (and past the margin).
    const next = planCompaction({ r, state: this.state, safeUpTo, errorSeconds: [], events: [] });
    if (next.state.doneUpTo === this.state.doneUpTo) return;
    const errorSeconds = await store.errorSeconds(
      campaignId,
      phase,
      this.state.doneUpTo - r.eventMarginS,
      safeUpTo + r.eventMarginS,
    );
    const plan = planCompaction({
      r,
      state: this.state,
      safeUpTo,
      errorSeconds,
      events: this.t.events?.() ?? [],
      ...(this.t.pinned ? { pinned: this.t.pinned() } : {}),
    });
    await store.compactTimeline(campaignId, phase, slice, plan.merge);
    this.state = plan.state;
  }
}
