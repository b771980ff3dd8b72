import type { Pool } from 'pg';
import type { Campaign } from '../config/schema';
import type { ReportSource } from '../core/report';
import { PHASES, type BaselinePhaseResult, type PhaseName, type PhaseOutcome, type Verdict } from '../core/types';

/** A stored campaign, as listed by history views. */
export interface CampaignRow {
  id: string;
  name: string;
  target: string;
  startedAt: string;
  finishedAt?: string;
  decision?: string;
  scorePct?: number;
}

/**
 * The results store: campaigns and their raw phase results in Postgres. Every write is an upsert
 * keyed by the natural id, so a retried activity never duplicates a row.
 */
export class ResultsStore {
  constructor(private readonly pool: Pool) {}

  /** Records that a campaign started (idempotent). */
  async upsertCampaign(args: { campaignId: string; campaign: Campaign; configHash: string; startedAt: string }): Promise<void> {
    const { campaignId, campaign, configHash, startedAt } = args;
    await this.pool.query(
      `INSERT INTO campaigns (id, name, owner, target, config, config_hash, started_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE SET config = EXCLUDED.config, config_hash = EXCLUDED.config_hash`,
      [campaignId, campaign.name, campaign.owner ?? null, campaign.target.baseUrl, JSON.stringify(campaign), configHash, startedAt],
    );
  }

  /** Stores one baseline phase result and its encoded histogram (idempotent per campaign and phase). */
  async upsertBaselineResult(campaignId: string, ordinal: number, result: BaselinePhaseResult, histogramUs: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO baseline_results (campaign_id, phase_name, ordinal, result, histogram_us)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (campaign_id, phase_name) DO UPDATE
         SET ordinal = EXCLUDED.ordinal, result = EXCLUDED.result, histogram_us = EXCLUDED.histogram_us, recorded_at = now()`,
      [campaignId, result.name, ordinal, JSON.stringify(result), histogramUs],
    );
  }

  /** Records the campaign's end: verdict and per-phase outcomes (idempotent). */
  async finishCampaign(args: { campaignId: string; verdict: Verdict; phases: Record<PhaseName, PhaseOutcome>; finishedAt: string }): Promise<void> {
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
    const r = await this.pool.query(`SELECT result FROM baseline_results WHERE campaign_id = $1 ORDER BY ordinal`, [campaignId]);
    const config = row.config as Campaign;
    const pending = Object.fromEntries(PHASES.map((p) => [p, { status: 'not_run', reason: 'campaign has not finished' }])) as Record<PhaseName, PhaseOutcome>;
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
      baseline: { thresholds: config.baseline?.thresholds ?? [], phases: r.rows.map((x) => x.result as BaselinePhaseResult) },
    };
  }

  /** Counts stored baseline rows for a campaign (used by tests and `status`). */
  async countBaselineRows(campaignId: string): Promise<number> {
    const r = await this.pool.query(`SELECT count(*)::int AS n FROM baseline_results WHERE campaign_id = $1`, [campaignId]);
    return r.rows[0].n;
  }
}
