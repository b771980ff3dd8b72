import type { Pool } from 'pg';
import type { Campaign } from '../config/schema';
import type { ReportSource } from '../report/model';
import type { BackupResult } from '../core/backup';
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
import { decodeHistogram, type EncodedMetrics, type EncodedWindow } from '../engine/metrics';
import type { GeneratorHealth } from '../engine/run';

/** One second of a phase, merged across generators. */
export interface MergedWindow {
  requests: number;
  errors: number;
  hist: ReturnType<typeof decodeHistogram>;
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
  constructor(private readonly pool: Pool) {}

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

  /** Stores finished seconds of a generator's timeline (idempotent per second). */
  async upsertTimeline(campaignId: string, phase: string, slice: number, windows: EncodedWindow[]): Promise<void> {
    if (!windows.length) return;
    await this.pool.query(
      `INSERT INTO load_timeline (campaign_id, phase_name, slice, second, requests, errors, histogram_us)
       SELECT $1, $2, $3, w.second, w.requests, w.errors, w.histogram
         FROM jsonb_to_recordset($4::jsonb) AS w(second int, requests int, errors int, histogram text)
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

  /** A phase's per-second windows, merged across its generators (histograms merged, not averaged). */
  async timelineWindows(campaignId: string, phase: string): Promise<Map<number, MergedWindow>> {
    const r = await this.pool.query(
      `SELECT second, requests, errors, histogram_us FROM load_timeline WHERE campaign_id = $1 AND phase_name = $2 ORDER BY second, slice`,
      [campaignId, phase],
    );
    const bySecond = new Map<number, MergedWindow>();
    for (const row of r.rows) {
      const w = bySecond.get(row.second);
      const h = decodeHistogram(row.histogram_us);
      if (!w) bySecond.set(row.second, { requests: row.requests, errors: row.errors, hist: h });
      else {
        w.requests += row.requests;
        w.errors += row.errors;
        w.hist.add(h);
      }
    }
    return bySecond;
  }

  /** A phase's per-second timeline with percentiles, for reports and charts. */
  async loadTimeline(campaignId: string, phase: string): Promise<TimelinePoint[]> {
    const ms = (h: MergedWindow['hist'], p: number) =>
      h.totalCount ? Math.round(h.getValueAtPercentile(p)) / 1000 : null;
    return [...(await this.timelineWindows(campaignId, phase))].map(([second, w]) => ({
      second,
      requests: w.requests,
      errors: w.errors,
      p50Ms: ms(w.hist, 50),
      p95Ms: ms(w.hist, 95),
      p99Ms: ms(w.hist, 99),
    }));
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

  /** Loads everything a report needs, or undefined when the campaign is unknown. */
  async loadReportSource(campaignId: string): Promise<ReportSource | undefined> {
    const c = await this.pool.query(`SELECT * FROM campaigns WHERE id = $1`, [campaignId]);
    if (!c.rowCount) return undefined;
    const row = c.rows[0];
    const r = await this.pool.query(`SELECT result FROM baseline_results WHERE campaign_id = $1 ORDER BY ordinal`, [
      campaignId,
    ]);
    const config = row.config as Campaign;
    const phases = r.rows.map((x) => x.result as BaselinePhaseResult);
    const timelines: Record<string, TimelinePoint[]> = {};
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
      phases: (row.phases as Record<PhaseName, PhaseOutcome> | null) ?? pending,
      ...(children.stress ? { stress: children.stress as StressResult } : {}),
      ...(children.spike ? { spike: children.spike as SpikeResult } : {}),
      ...(children.monitoring ? { monitoring: children.monitoring as MonitoringResult } : {}),
      ...(children.backup ? { backup: children.backup as BackupResult } : {}),
      ...(children.checklist ? { checklist: children.checklist as ChecklistEvaluation } : {}),
      baseline: {
        thresholds: (config.baseline?.thresholds ?? []).map((t) =>
          typeof t === 'string'
            ? t
            : `${t.threshold}${t.endpoint ? ` {endpoint: ${t.endpoint}}` : ''}${t.abortOnFail ? ' (abortOnFail)' : ''}`,
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
