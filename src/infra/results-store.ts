import type { Pool } from 'pg';
import type { Campaign } from '../config/schema';
import type { ReportSource } from '../report/model';
import type { BackupResult } from '../core/backup';
import type { FaultsResult } from '../core/dependencies';
import type { ChecklistEvaluation } from '../core/checklist-types';
import type { MonitoringResult } from '../core/monitoring';
import type { SpikeResult, StressResult } from '../core/stress';
import {
  PHASES,
  type BaselinePhaseResult,
  type PhaseName,
  type PhaseOutcome,
  type TimelinePoint,
  type Verdict,
} from '../core/types';
import {
  decodeHistogram,
  encodeHistogram,
  type EncodedMetrics,
  type EncodedWindow,
  type TraceMark,
} from '../engine/metrics';
import type { GeneratorHealth } from '../engine/run';
import type { DataTable } from '../engine/data-feed';
import { scenarioRequests } from '../config/scenario';

/** Campaign configurations kept in memory by one store (a worker runs a few campaigns at a time). */
const CONFIG_CACHE_SIZE = 64;

/** One window of a phase's timeline (a second, or `widthS` seconds downsampled), merged across generators. */
export interface MergedWindow {
  requests: number;
  errors: number;
  hist: ReturnType<typeof decodeHistogram>;
  /** Seconds the window covers from its key on (1 unless the timeline was downsampled there). */
  widthS: number;
}

/** A load generator's stored final measurements for one phase. */
export interface SliceRecord {
  slice: number;
  metrics: EncodedMetrics;
  health: GeneratorHealth;
  elapsedMs: number;
  resumedFromMs: number;
  attempt: number;
  aborted: boolean;
  /** Stopped early by an abortOnFail threshold: fails the phase. */
  stoppedEarly: boolean;
  /** Informational (late start, clock skew, why it stopped). */
  notes: string[];
}

/** One stage of a continuous ramp, as the workflow asks for it and the load applies it. */
export interface StageCommand {
  stage: number;
  /** The stage's name: its measurements are stored as a load_slices row under it. */
  name: string;
  level: number;
  rampMs: number;
  warmupMs: number;
  /** How long the stage is judged after its ramp and warm-up. */
  holdMs: number;
  stop: boolean;
  /** When the load applied it (epoch ms) and the timeline second of that moment. */
  appliedAtMs?: number;
  fromSecond?: number;
}

/**
 * The results store: campaigns and their raw phase results in Postgres. Every write is an upsert
 * keyed by the natural id, so a retried activity never duplicates a row.
 */
export class ResultsStore {
  /** Recorded campaign configurations, most recently added last (see campaignConfig). */
  private readonly configs = new Map<string, Campaign>();

  constructor(private readonly pool: Pool) {}

  /** Stores a data file's table under its ref (once: the same rows are stored once, whoever sends them). */
  async putDataTable(ref: string, table: DataTable): Promise<void> {
    await this.pool.query(
      `INSERT INTO scenario_data (ref, columns, rows, row_count) VALUES ($1, $2, $3, $4) ON CONFLICT (ref) DO NOTHING`,
      [ref, JSON.stringify(table.columns), JSON.stringify(table.rows), table.rows.length],
    );
  }

  /** A data file's table by its ref; undefined when it was never stored here. */
  async dataTable(ref: string): Promise<DataTable | undefined> {
    const r = await this.pool.query<{ columns: string[]; rows: string[][] }>(
      `SELECT columns, rows FROM scenario_data WHERE ref = $1`,
      [ref],
    );
    return r.rows[0] ? { columns: r.rows[0].columns, rows: r.rows[0].rows } : undefined;
  }

  /** Records that a campaign started (idempotent). */
  async upsertCampaign(args: {
    campaignId: string;
    campaign: Campaign;
    configHash: string;
    startedAt: string;
  }): Promise<void> {
    const { campaignId, campaign, configHash, startedAt } = args;
    await this.pool.query(
      `INSERT INTO campaigns (id, name, owner, target, config, config_hash, started_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE SET config = EXCLUDED.config, config_hash = EXCLUDED.config_hash`,
      [
        campaignId,
        campaign.name,
        campaign.owner ?? null,
        campaign.target.baseUrl,
        JSON.stringify(campaign),
        configHash,
        startedAt,
      ],
    );
  }

  /** Stores one baseline phase result and its encoded histogram (idempotent per campaign and phase). */
  async upsertBaselineResult(
    campaignId: string,
    ordinal: number,
    result: BaselinePhaseResult,
    histogramUs: string,
  ): Promise<void> {
    await this.pool.query(
      `INSERT INTO baseline_results (campaign_id, phase_name, ordinal, result, histogram_us)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (campaign_id, phase_name) DO UPDATE
         SET ordinal = EXCLUDED.ordinal, result = EXCLUDED.result, histogram_us = EXCLUDED.histogram_us, recorded_at = now()`,
      [campaignId, result.name, ordinal, JSON.stringify(result), histogramUs],
    );
  }

  /**
   * Stores finished seconds of a generator's timeline (idempotent per second). A second inside a window of this
   * generator that was already downsampled (stored late, after a database outage) is left out rather than risk
   * counting it twice: the timeline may then miss it, the phase's own totals never do.
   */
  async upsertTimeline(campaignId: string, phase: string, slice: number, windows: EncodedWindow[]): Promise<void> {
    if (!windows.length) return;
    await this.pool.query(
      `INSERT INTO load_timeline (campaign_id, phase_name, slice, second, requests, errors, histogram_us)
       SELECT $1, $2, $3, w.second, w.requests, w.errors, w.histogram
         FROM jsonb_to_recordset($4::jsonb) AS w(second int, requests int, errors int, histogram text)
        WHERE NOT EXISTS (
          SELECT 1 FROM load_timeline t WHERE t.campaign_id = $1 AND t.phase_name = $2 AND t.slice = $3 AND t.width_s > 1
             AND t.second <= w.second AND w.second < t.second + t.width_s)
       ON CONFLICT (campaign_id, phase_name, slice, second) DO UPDATE
         SET requests = EXCLUDED.requests, errors = EXCLUDED.errors, histogram_us = EXCLUDED.histogram_us`,
      [campaignId, phase, slice, JSON.stringify(windows)],
    );
  }

  /** Stores a generator's final measurements for a phase (idempotent per slice). */
  async upsertSlice(campaignId: string, phase: string, rec: SliceRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO load_slices (campaign_id, phase_name, slice, metrics, health, elapsed_ms, resumed_from_ms, attempt, aborted, stopped_early, notes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (campaign_id, phase_name, slice) DO UPDATE
         SET metrics = EXCLUDED.metrics, health = EXCLUDED.health, elapsed_ms = EXCLUDED.elapsed_ms, resumed_from_ms = EXCLUDED.resumed_from_ms,
             attempt = EXCLUDED.attempt, aborted = EXCLUDED.aborted, stopped_early = EXCLUDED.stopped_early, notes = EXCLUDED.notes, recorded_at = now()`,
      [
        campaignId,
        phase,
        rec.slice,
        JSON.stringify(rec.metrics),
        JSON.stringify(rec.health),
        Math.round(rec.elapsedMs),
        Math.round(rec.resumedFromMs),
        rec.attempt,
        rec.aborted,
        rec.stoppedEarly,
        JSON.stringify(rec.notes),
      ],
    );
  }

  /**
   * When a load phase ran (epoch ms), from its stored slices: each was recorded at its end after running
   * `elapsed_ms` (the last attempt's part when it resumed). Undefined when the phase has no measurements.
   */
  async phaseWindow(campaignId: string, phase: string): Promise<{ fromMs: number; toMs: number } | undefined> {
    const r = await this.pool.query(
      `SELECT min(extract(epoch FROM recorded_at) * 1000 - elapsed_ms) AS from_ms, max(extract(epoch FROM recorded_at) * 1000) AS to_ms
         FROM load_slices WHERE campaign_id = $1 AND phase_name = $2`,
      [campaignId, phase],
    );
    const row = r.rows[0];
    if (!row || row.from_ms === null) return undefined;
    return { fromMs: Math.round(Number(row.from_ms)), toMs: Math.round(Number(row.to_ms)) };
  }

  /**
   * The requests the campaign's load marked with a traceparent: how many in all, and the kept ones (every phase and
   * step, every generator), interleaved across them newest first: the first ones taken are spread over the
   * campaign, not all from its first seconds.
   */
  async traceMarks(campaignId: string): Promise<{ count: number; traces: TraceMark[] }> {
    const r = await this.pool.query(
      `SELECT metrics->'marked' AS marked, metrics->'traces' AS traces FROM load_slices
        WHERE campaign_id = $1 AND metrics ? 'traces' ORDER BY recorded_at DESC`,
      [campaignId],
    );
    let count = 0;
    const lists: TraceMark[][] = [];
    for (const row of r.rows) {
      count += Number(row.marked ?? 0);
      lists.push((row.traces as TraceMark[] | null) ?? []);
    }
    const traces: TraceMark[] = [];
    for (let i = 0; lists.some((l) => i < l.length); i++) for (const l of lists) if (i < l.length) traces.push(l[i]!);
    return { count, traces };
  }

  /**
   * The load's windows that served errors (5xx answers), one per phase or stress stage: when it ran (epoch ms, from
   * its stored slices) and how many 5xx it was served. Newest first.
   */
  async errorWindows(
    campaignId: string,
  ): Promise<Array<{ phase: string; fromMs: number; toMs: number; served: number }>> {
    const r = await this.pool.query(
      `SELECT phase_name, extract(epoch FROM recorded_at) * 1000 AS to_ms, elapsed_ms, metrics->'endpoints' AS endpoints
         FROM load_slices WHERE campaign_id = $1`,
      [campaignId],
    );
    const byPhase = new Map<string, { phase: string; fromMs: number; toMs: number; served: number }>();
    for (const row of r.rows) {
      let served = 0;
      for (const c of Object.values((row.endpoints ?? {}) as Record<string, { statusCounts?: Record<string, number> }>))
        for (const [status, n] of Object.entries(c.statusCounts ?? {})) if (status.startsWith('5')) served += n;
      const toMs = Math.round(Number(row.to_ms));
      const fromMs = toMs - Number(row.elapsed_ms);
      const w = byPhase.get(row.phase_name);
      if (!w) byPhase.set(row.phase_name, { phase: row.phase_name, fromMs, toMs, served });
      else {
        w.fromMs = Math.min(w.fromMs, fromMs);
        w.toMs = Math.max(w.toMs, toMs);
        w.served += served;
      }
    }
    return [...byPhase.values()].filter((w) => w.served > 0).sort((a, b) => b.toMs - a.toMs);
  }

  /** Loads the stored slices of a phase, ordered by slice. */
  async loadSlices(campaignId: string, phase: string): Promise<SliceRecord[]> {
    const r = await this.pool.query(
      `SELECT * FROM load_slices WHERE campaign_id = $1 AND phase_name = $2 ORDER BY slice`,
      [campaignId, phase],
    );
    return r.rows.map((row) => ({
      slice: row.slice,
      metrics: row.metrics,
      health: row.health,
      elapsedMs: row.elapsed_ms,
      resumedFromMs: row.resumed_from_ms,
      attempt: row.attempt,
      aborted: row.aborted,
      stoppedEarly: row.stopped_early,
      notes: row.notes,
    }));
  }

  /**
   * A phase's timeline windows, merged across its generators (histograms merged, not averaged), keyed by their first
   * second. Where a generator's timeline was downsampled, its window absorbs the other generators' rows inside it,
   * so every window is the exact merge of everything measured in its span.
   */
  async timelineWindows(campaignId: string, phase: string): Promise<Map<number, MergedWindow>> {
    const r = await this.pool.query(
      `SELECT second, width_s, requests, errors, histogram_us FROM load_timeline
        WHERE campaign_id = $1 AND phase_name = $2 ORDER BY second, slice`,
      [campaignId, phase],
    );
    // The downsampled windows of any generator, sorted by start (generators share one grid: equal spans).
    const coarse = [...new Map(r.rows.filter((row) => row.width_s > 1).map((row) => [row.second, row.width_s]))];
    coarse.sort((a, b) => a[0] - b[0]);
    const windowOf = (second: number): [number, number] => {
      let lo = 0;
      let hi = coarse.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (coarse[mid]![0] <= second) lo = mid + 1;
        else hi = mid;
      }
      const c = coarse[lo - 1];
      return c && second < c[0] + c[1] ? c : [second, 1];
    };
    const windows = new Map<number, MergedWindow>();
    for (const row of r.rows) {
      const [start, widthS] = windowOf(row.second);
      const w = windows.get(start);
      const h = decodeHistogram(row.histogram_us);
      if (!w) windows.set(start, { requests: row.requests, errors: row.errors, hist: h, widthS });
      else {
        w.requests += row.requests;
        w.errors += row.errors;
        w.hist.add(h);
      }
    }
    return new Map([...windows].sort((a, b) => a[0] - b[0]));
  }

  /**
   * Merges each window of one generator's timeline into one row (`width_s` seconds from its start), in one
   * transaction; idempotent (a window already merged stays as it is).
   */
  async compactTimeline(
    campaignId: string,
    phase: string,
    slice: number,
    merges: Array<{ start: number; widthS: number }>,
  ): Promise<void> {
    if (!merges.length) return;
    const from = merges[0]!.start;
    const to = merges[merges.length - 1]!.start + merges[merges.length - 1]!.widthS;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const r = await client.query(
        `SELECT second, width_s, requests, errors, histogram_us FROM load_timeline
          WHERE campaign_id = $1 AND phase_name = $2 AND slice = $3 AND second >= $4 AND second < $5 ORDER BY second FOR UPDATE`,
        [campaignId, phase, slice, from, to],
      );
      const rows = r.rows as Array<{
        second: number;
        width_s: number;
        requests: number;
        errors: number;
        histogram_us: string;
      }>;
      const merged: Array<{ second: number; width: number; requests: number; errors: number; histogram: string }> = [];
      const gone: number[] = [];
      let i = 0;
      for (const m of merges) {
        while (i < rows.length && rows[i]!.second < m.start) i++;
        const inside: typeof rows = [];
        while (i < rows.length && rows[i]!.second < m.start + m.widthS) inside.push(rows[i++]!);
        if (!inside.length || (inside.length === 1 && inside[0]!.second === m.start && inside[0]!.width_s === m.widthS))
          continue;
        const hist = decodeHistogram(inside[0]!.histogram_us);
        for (const row of inside.slice(1)) hist.add(decodeHistogram(row.histogram_us));
        merged.push({
          second: m.start,
          width: m.widthS,
          requests: inside.reduce((n, row) => n + row.requests, 0),
          errors: inside.reduce((n, row) => n + row.errors, 0),
          histogram: encodeHistogram(hist),
        });
        gone.push(...inside.map((row) => row.second));
      }
      if (merged.length) {
        await client.query(
          `DELETE FROM load_timeline WHERE campaign_id = $1 AND phase_name = $2 AND slice = $3 AND second = ANY($4::int[])`,
          [campaignId, phase, slice, gone],
        );
        await client.query(
          `INSERT INTO load_timeline (campaign_id, phase_name, slice, second, width_s, requests, errors, histogram_us)
           SELECT $1, $2, $3, w.second, w.width, w.requests, w.errors, w.histogram
             FROM jsonb_to_recordset($4::jsonb) AS w(second int, width int, requests int, errors int, histogram text)`,
          [campaignId, phase, slice, JSON.stringify(merged)],
        );
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * Where one generator's timeline compaction stands (after a restart): decided up to the end of its last merged
   * window (or `fullS`), the seconds past `fullS` kept per second before that, and the newest second stored.
   */
  async compactionState(
    campaignId: string,
    phase: string,
    slice: number,
    fullS: number,
  ): Promise<{ doneUpTo: number; eventSeconds: number; newest: number }> {
    const r = await this.pool.query(
      `SELECT COALESCE(MAX(second + width_s) FILTER (WHERE width_s > 1), $4::int) AS done_up_to,
              COALESCE(MAX(second + width_s - 1), -1) AS newest FROM load_timeline
        WHERE campaign_id = $1 AND phase_name = $2 AND slice = $3`,
      [campaignId, phase, slice, fullS],
    );
    const doneUpTo = Number(r.rows[0].done_up_to);
    const newest = Number(r.rows[0].newest);
    const kept = await this.pool.query(
      `SELECT count(*)::int AS n FROM load_timeline
        WHERE campaign_id = $1 AND phase_name = $2 AND slice = $3 AND width_s = 1 AND second >= $4 AND second < $5`,
      [campaignId, phase, slice, fullS, doneUpTo],
    );
    return { doneUpTo, eventSeconds: kept.rows[0].n, newest };
  }

  /**
   * The seconds of a phase's timeline in `[from, to)` that had errors in any generator (events that keep detail):
   * every generator keeps the same windows, since the report shows a window per second only where all of them did.
   */
  async errorSeconds(campaignId: string, phase: string, from: number, to: number): Promise<number[]> {
    const r = await this.pool.query(
      `SELECT DISTINCT second FROM load_timeline WHERE campaign_id = $1 AND phase_name = $2 AND width_s = 1
          AND errors > 0 AND second >= $3 AND second < $4 ORDER BY second`,
      [campaignId, phase, from, to],
    );
    return r.rows.map((row) => row.second as number);
  }

  /** Rows stored for a phase's timeline (all generators), for the bounds the downsampling keeps. */
  async timelineRows(campaignId: string, phase: string): Promise<number> {
    const r = await this.pool.query(
      `SELECT count(*)::int AS n FROM load_timeline WHERE campaign_id = $1 AND phase_name = $2`,
      [campaignId, phase],
    );
    return r.rows[0].n;
  }

  /**
   * A phase's timeline with percentiles per window (per second, or downsampled: `widthS`), for reports and charts.
   * Streams: each window's histogram is dropped once its percentiles are read, so memory does not grow with the
   * number of windows (a full histogram is about 100 KB; a 72 h phase has thousands of windows).
   */
  async loadTimeline(campaignId: string, phase: string): Promise<TimelinePoint[]> {
    const r = await this.pool.query(
      `SELECT second, width_s, requests, errors, histogram_us FROM load_timeline
        WHERE campaign_id = $1 AND phase_name = $2 ORDER BY second, slice`,
      [campaignId, phase],
    );
    const coarse = new Map<number, number>();
    for (const row of r.rows) if (row.width_s > 1) coarse.set(row.second, row.width_s);
    const out: TimelinePoint[] = [];
    let open:
      { second: number; widthS: number; requests: number; errors: number; hist: MergedWindow['hist'] } | undefined;
    const ms = (h: MergedWindow['hist'], p: number) =>
      h.totalCount ? Math.round(h.getValueAtPercentile(p)) / 1000 : null;
    const close = () => {
      if (!open) return;
      out.push({
        second: open.second,
        ...(open.widthS > 1 ? { widthS: open.widthS } : {}),
        requests: open.requests,
        errors: open.errors,
        p50Ms: ms(open.hist, 50),
        p95Ms: ms(open.hist, 95),
        p99Ms: ms(open.hist, 99),
      });
      open = undefined;
    };
    for (const row of r.rows) {
      // Rows come by second: a row inside the open window joins it; any other starts the next one (a downsampled
      // window of any generator absorbs the other generators' seconds inside it, as timelineWindows does).
      if (open && row.second < open.second + open.widthS) {
        open.requests += row.requests;
        open.errors += row.errors;
        open.hist.add(decodeHistogram(row.histogram_us));
        continue;
      }
      close();
      open = {
        second: row.second,
        widthS: coarse.get(row.second) ?? 1,
        requests: row.requests,
        errors: row.errors,
        hist: decodeHistogram(row.histogram_us),
      };
    }
    close();
    return out;
  }

  /** Records the next stage of a continuous ramp (a level, or the stop), for the running load to apply (idempotent). */
  async putStage(campaignId: string, phase: string, st: StageCommand): Promise<void> {
    await this.pool.query(
      `INSERT INTO stress_levels (campaign_id, phase, stage, name, level, ramp_ms, warmup_ms, hold_ms, stop)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (campaign_id, phase, stage) DO NOTHING`,
      [
        campaignId,
        phase,
        st.stage,
        st.name,
        st.level,
        Math.round(st.rampMs),
        Math.round(st.warmupMs),
        Math.round(st.holdMs),
        st.stop,
      ],
    );
  }

  /** The stages of a continuous ramp after `afterStage`, in order. */
  async stagesAfter(campaignId: string, phase: string, afterStage: number): Promise<StageCommand[]> {
    const r = await this.pool.query(
      `SELECT * FROM stress_levels WHERE campaign_id = $1 AND phase = $2 AND stage > $3 ORDER BY stage`,
      [campaignId, phase, afterStage],
    );
    return r.rows.map((row) => ({
      stage: row.stage,
      name: row.name,
      level: Number(row.level),
      rampMs: row.ramp_ms,
      warmupMs: row.warmup_ms,
      holdMs: row.hold_ms,
      stop: row.stop,
      ...(row.applied_at_ms !== null ? { appliedAtMs: Number(row.applied_at_ms), fromSecond: row.from_second } : {}),
    }));
  }

  /** Records when the running load applied a stage, and the timeline second it began in (first application wins). */
  async markStageApplied(
    campaignId: string,
    phase: string,
    stage: number,
    appliedAtMs: number,
    fromSecond: number,
  ): Promise<void> {
    await this.pool.query(
      `UPDATE stress_levels SET applied_at_ms = $4, from_second = $5 WHERE campaign_id = $1 AND phase = $2 AND stage = $3 AND applied_at_ms IS NULL`,
      [campaignId, phase, stage, Math.round(appliedAtMs), fromSecond],
    );
  }

  /** Stores the result document of a phase run as a child workflow (idempotent). */
  async upsertPhaseResult(campaignId: string, phase: string, result: unknown): Promise<void> {
    await this.pool.query(
      `INSERT INTO phase_results (campaign_id, phase, result) VALUES ($1, $2, $3)
       ON CONFLICT (campaign_id, phase) DO UPDATE SET result = EXCLUDED.result, recorded_at = now()`,
      [campaignId, phase, JSON.stringify(result)],
    );
  }

  /** Loads the result documents of a campaign's child-workflow phases, by phase. */
  async loadPhaseResults(campaignId: string): Promise<Record<string, unknown>> {
    const r = await this.pool.query(`SELECT phase, result FROM phase_results WHERE campaign_id = $1`, [campaignId]);
    return Object.fromEntries(r.rows.map((row) => [row.phase, row.result]));
  }

  /** Records the campaign's end: verdict and per-phase outcomes (idempotent). */
  async finishCampaign(args: {
    campaignId: string;
    verdict: Verdict;
    phases: Record<PhaseName, PhaseOutcome>;
    finishedAt: string;
  }): Promise<void> {
    const { campaignId, verdict, phases, finishedAt } = args;
    const res = await this.pool.query(
      `UPDATE campaigns SET finished_at = $2, decision = $3, score_pct = $4, verdict = $5, phases = $6 WHERE id = $1`,
      [campaignId, finishedAt, verdict.decision, verdict.scorePct, JSON.stringify(verdict), JSON.stringify(phases)],
    );
    if (res.rowCount !== 1) throw new Error(`campaign ${campaignId} is not in the results store`);
  }

  /**
   * Loads everything a report needs, or undefined when the campaign is unknown. `timelines: false` leaves the phases'
   * timelines out (scoring and the comparison with a previous campaign never read them; for a phase of days they are
   * most of the work).
   */
  async loadReportSource(campaignId: string, opts: { timelines?: boolean } = {}): Promise<ReportSource | undefined> {
    const c = await this.pool.query(`SELECT * FROM campaigns WHERE id = $1`, [campaignId]);
    if (!c.rowCount) return undefined;
    const row = c.rows[0];
    const r = await this.pool.query(`SELECT result FROM baseline_results WHERE campaign_id = $1 ORDER BY ordinal`, [
      campaignId,
    ]);
    const config = row.config as Campaign;
    const phases = r.rows.map((x) => x.result as BaselinePhaseResult);
    const timelines: Record<string, TimelinePoint[]> = {};
    if (opts.timelines !== false)
      for (const p of phases) timelines[p.name] = await this.loadTimeline(campaignId, p.name);
    const children = await this.loadPhaseResults(campaignId);
    const pending = Object.fromEntries(
      PHASES.map((p) => [p, { status: 'not_run', reason: 'campaign has not finished' }]),
    ) as Record<PhaseName, PhaseOutcome>;
    return {
      campaign: {
        id: row.id,
        name: row.name,
        ...(row.owner ? { owner: row.owner } : {}),
        target: row.target,
        configHash: row.config_hash,
        startedAt: new Date(row.started_at).toISOString(),
        ...(row.finished_at ? { finishedAt: new Date(row.finished_at).toISOString() } : {}),
      },
      ...(row.verdict ? { verdict: row.verdict as Verdict } : {}),
      // A campaign recorded before a phase existed (faults, 0.12) has no outcome for it: not run.
      phases: row.phases
        ? {
            ...(Object.fromEntries(
              PHASES.map((p) => [p, { status: 'not_run', reason: 'not part of the campaign when it ran' }]),
            ) as Record<PhaseName, PhaseOutcome>),
            ...(row.phases as Record<PhaseName, PhaseOutcome>),
          }
        : pending,
      ...(children.stress ? { stress: children.stress as StressResult } : {}),
      ...(children.spike ? { spike: children.spike as SpikeResult } : {}),
      ...(children.monitoring ? { monitoring: children.monitoring as MonitoringResult } : {}),
      ...(children.backup ? { backup: children.backup as BackupResult } : {}),
      ...(children.faults ? { faults: children.faults as FaultsResult } : {}),
      ...(children.checklist ? { checklist: children.checklist as ChecklistEvaluation } : {}),
      methods: Object.fromEntries(
        (config.scenario ? scenarioRequests(config.scenario) : []).map((r) => [r.name, r.method]),
      ),
      baseline: {
        thresholds: (config.baseline?.thresholds ?? []).map((t) =>
          typeof t === 'string'
            ? t
            : `${t.threshold}${t.endpoint ? ` {endpoint: ${t.endpoint}}` : ''}${t.flow ? ` {flow: ${t.flow}}` : ''}${t.abortOnFail ? ' (abortOnFail)' : ''}`,
        ),
        phases,
        timelines,
      },
    };
  }

  /** The campaign config as stored (env references only). */
  async loadCampaignConfig(campaignId: string): Promise<Campaign | undefined> {
    const r = await this.pool.query(`SELECT config FROM campaigns WHERE id = $1`, [campaignId]);
    return r.rowCount ? (r.rows[0].config as Campaign) : undefined;
  }

  /**
   * A campaign's configuration as recorded at its start, cached in this process (it never changes once recorded):
   * activities receive the campaign id, never the scenario, so no payload in history repeats it.
   */
  async campaignConfig(campaignId: string): Promise<Campaign | undefined> {
    const hit = this.configs.get(campaignId);
    if (hit) return hit;
    const config = await this.loadCampaignConfig(campaignId);
    if (config) {
      this.configs.set(campaignId, config);
      if (this.configs.size > CONFIG_CACHE_SIZE) this.configs.delete(this.configs.keys().next().value!);
    }
    return config;
  }

  /**
   * The campaign to compare with: of the same target (a trailing "/" aside), started before this one, and the
   * last to finish before this one finished (or before now while it runs), so a published report's comparison
   * does not change later; aborted campaigns are skipped. Undefined for the first.
   */
  async previousCampaignId(campaignId: string): Promise<string | undefined> {
    const r = await this.pool.query(
      `SELECT p.id FROM campaigns c
         JOIN campaigns p ON rtrim(p.target, '/') = rtrim(c.target, '/') AND p.id <> c.id AND p.started_at < c.started_at
          AND p.finished_at IS NOT NULL AND p.finished_at <= coalesce(c.finished_at, now())
          AND NOT EXISTS (SELECT 1 FROM jsonb_each(coalesce(p.phases, '{}'::jsonb)) AS ph(k, v) WHERE v ->> 'status' = 'aborted')
        WHERE c.id = $1 ORDER BY p.finished_at DESC LIMIT 1`,
      [campaignId],
    );
    return r.rows[0]?.id;
  }

  /** Past campaigns of a target URL or campaign name, newest first, with the figures `readiness history` lists. */
  async history(targetOrName: string, limit = 50): Promise<HistoryRow[]> {
    const r = await this.pool.query(
      `SELECT c.id, c.name, c.target, c.started_at, c.finished_at, c.decision, c.score_pct,
              (s.result -> 'summary' -> 'breakingPoint' ->> 'users')::double precision AS breaking_users,
              s.result ->> 'model' AS stress_model
         FROM campaigns c LEFT JOIN phase_results s ON s.campaign_id = c.id AND s.phase = 'stress'
        WHERE c.target = $1 OR c.name = $1 OR rtrim(c.target, '/') = rtrim($1, '/')
        ORDER BY c.started_at DESC LIMIT $2`,
      [targetOrName, limit],
    );
    return r.rows.map((row) => ({
      id: row.id,
      name: row.name,
      target: row.target,
      startedAt: new Date(row.started_at).toISOString(),
      ...(row.finished_at ? { finishedAt: new Date(row.finished_at).toISOString() } : {}),
      decision: row.decision ?? null,
      scorePct: row.score_pct ?? null,
      stress: row.stress_model === null ? 'not_run' : row.breaking_users === null ? 'no_breaking_point' : 'broke',
      breakingPoint:
        row.breaking_users === null
          ? null
          : { level: row.breaking_users, unit: row.stress_model === 'open' ? 'req/s' : 'users' },
    }));
  }
}

/** One past campaign, as `readiness history` lists it. */
export interface HistoryRow {
  id: string;
  name: string;
  target: string;
  startedAt: string;
  finishedAt?: string;
  decision: string | null;
  scorePct: number | null;
  /** Whether stress ran and found a breaking point. */
  stress: 'not_run' | 'no_breaking_point' | 'broke';
  breakingPoint: { level: number; unit: 'users' | 'req/s' } | null;
}
