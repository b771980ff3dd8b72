/**
 * Timeline resolution for phases that run for days: per second where it matters (the first minutes of a phase,
 * and around events such as failures and stage changes), coarser windows after. A coarse window is the exact
 * merge of its seconds (HDR histograms add exactly), so its percentiles are exact for that window; judgements
 * (thresholds, stress steps) never read the timeline, only the exact per-phase and per-step histograms.
 * Pure: which buckets to merge is decided from the seconds' error counts and the events, nothing else.
 */

/** One tier of coarser windows: from `fromS` seconds into the phase on, windows of `widthS` seconds. */
export interface ResolutionTier {
  fromS: number;
  widthS: number;
}

/** How a phase's timeline is kept. */
export interface TimelineResolution {
  /** Seconds from the phase's start kept per second. */
  fullS: number;
  /** Coarser windows after `fullS`, in ascending `fromS`; the first starts at `fullS`. */
  tiers: ResolutionTier[];
  /** Seconds kept per second on each side of an event (a second with errors, a stage change, an abort). */
  eventMarginS: number;
  /** At most this many seconds past `fullS` are kept per second for events; further events keep no detail. */
  maxEventSeconds: number;
}

/**
 * The default: per second for 15 minutes, 10 s windows until 6 hours, 1 minute windows after; 30 s of detail on
 * each side of an event, at most 30 minutes of it. A 72 h phase is at most 900 + 2,070 + 3,960 + 1,800 = 8,730
 * rows per generator (259,200 per second).
 */
export const DEFAULT_RESOLUTION: TimelineResolution = {
  fullS: 900,
  tiers: [
    { fromS: 900, widthS: 10 },
    { fromS: 21_600, widthS: 60 },
  ],
  eventMarginS: 30,
  maxEventSeconds: 1_800,
};

/** Why a resolution cannot be used, or undefined: tiers ascending from fullS, each a whole number of windows long. */
export function resolutionProblem(r: TimelineResolution): string | undefined {
  if (!Number.isInteger(r.fullS) || r.fullS < 0) return 'fullS must be a whole number of seconds >= 0';
  if (!r.tiers.length) return undefined;
  if (r.tiers[0]!.fromS !== r.fullS) return 'the first tier must start where per-second resolution ends';
  for (const [i, t] of r.tiers.entries()) {
    if (!Number.isInteger(t.widthS) || t.widthS < 1)
      return `tier ${i + 1}: the window must be a whole number of seconds >= 1`;
    const next = r.tiers[i + 1];
    if (next && (next.fromS <= t.fromS || (next.fromS - t.fromS) % t.widthS !== 0)) {
      return `tier ${i + 2} must start a whole number of tier ${i + 1}'s windows (${t.widthS} s) after it`;
    }
  }
  return undefined;
}

/** The window a second falls in: `{ start, widthS }`, one second wide inside `fullS` (or without tiers). */
export function bucketOf(second: number, r: TimelineResolution): { start: number; widthS: number } {
  let tier: ResolutionTier | undefined;
  for (const t of r.tiers) if (second >= t.fromS) tier = t;
  if (second < r.fullS || !tier || tier.widthS === 1) return { start: second, widthS: 1 };
  return { start: tier.fromS + Math.floor((second - tier.fromS) / tier.widthS) * tier.widthS, widthS: tier.widthS };
}

/**
 * Rows a phase of `durationS` seconds keeps at most (per generator): the per-second start, each tier's windows,
 * and the event budget.
 */
export function maxRows(durationS: number, r: TimelineResolution): number {
  let rows = Math.min(durationS, r.fullS);
  for (const [i, t] of r.tiers.entries()) {
    const end = Math.min(durationS, r.tiers[i + 1]?.fromS ?? Infinity);
    if (end > t.fromS) rows += Math.ceil((end - t.fromS) / t.widthS);
  }
  return rows + r.maxEventSeconds;
}

/** What the compaction of one generator's timeline knows between two passes. */
export interface CompactionState {
  /** Seconds before this were decided (merged, or kept per second). */
  doneUpTo: number;
  /** Seconds past `fullS` kept per second for events so far. */
  eventSeconds: number;
}

/** One pass's decision: the windows to merge (each `[start, start + widthS)`), and the state after. */
export interface CompactionPlan {
  merge: Array<{ start: number; widthS: number }>;
  state: CompactionState;
}

/**
 * Decides which windows to merge, among the windows that end before `safeUpTo` (the newest second stored, minus
 * the event margin: an event just after a window keeps it too) and start at or after `state.doneUpTo`. A window is
 * kept per second when an event lies within the margin of it and the event budget allows; otherwise merged.
 * `errorSeconds` are the stored seconds with errors at or after `state.doneUpTo - margin`; `events` the other
 * event seconds (stage changes); `pinned` ranges are kept whatever the budget. Windows that are not full yet, or too
 * recent, are left for a later pass.
 */
export function planCompaction(args: {
  r: TimelineResolution;
  state: CompactionState;
  safeUpTo: number;
  errorSeconds: number[];
  events: number[];
  /** Ranges `[from, to)` always kept per second, whatever the budget (the stress recovery: it is judged on them). */
  pinned?: Array<{ from: number; to: number }>;
}): CompactionPlan {
  const { r, safeUpTo } = args;
  const merge: CompactionPlan['merge'] = [];
  let { doneUpTo, eventSeconds } = args.state;
  const marks = [...args.errorSeconds, ...args.events].sort((a, b) => a - b);
  const pinned = (start: number, end: number) => (args.pinned ?? []).some((p) => p.from < end && start < p.to);
  const nearEvent = (start: number, end: number) => {
    // Binary search for the first mark >= start - margin.
    let lo = 0;
    let hi = marks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (marks[mid]! < start - r.eventMarginS) lo = mid + 1;
      else hi = mid;
    }
    return lo < marks.length && marks[lo]! < end + r.eventMarginS;
  };
  doneUpTo = Math.max(doneUpTo, r.fullS);
  for (;;) {
    const { start, widthS } = bucketOf(doneUpTo, r);
    if (widthS === 1) break; // no tiers: nothing is ever merged
    const end = start + widthS;
    if (end > safeUpTo) break;
    if (pinned(start, end)) {
      // kept, outside the budget
    } else if (nearEvent(start, end) && eventSeconds + widthS <= r.maxEventSeconds) eventSeconds += widthS;
    else merge.push({ start, widthS });
    doneUpTo = end;
  }
  return { merge, state: { doneUpTo, eventSeconds } };
}
