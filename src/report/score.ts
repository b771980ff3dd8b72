/**
 * Scoring the checklist from the store: the evidence of every phase (report.json as built from the
 * store), the campaign's resolved checklist and verdict policy, attestations and waivers, at one instant.
 * The campaign workflow's scoring activity and `readiness rescore` both call it with the same inputs
 * (rescore reads them back from the stored evaluation), so a rescore recomputes what the campaign decided.
 */
import { evaluateChecklist, policyOf } from '../core/checklist';
import type { Attestation, ChecklistEvaluation, ChecklistItem, Waiver } from '../core/checklist-types';
import { buildReport } from './model';
import type { PhaseName, PhaseOutcome } from '../core/types';
import type { ResultsStore } from '../infra/results-store';

/** What a checklist is scored from, besides the stored evidence. */
export interface ScoreInput {
  campaignId: string;
  /** The checklist the campaign resolved when it started. */
  items: ChecklistItem[];
  /** Phase outcomes (the campaign scores before it records its end, so it passes them). */
  phases: Record<PhaseName, PhaseOutcome>;
  /** When each phase ended (workflow time). */
  phaseEndedAt: Partial<Record<string, string>>;
  attestations: Attestation[];
  waivers: Waiver[];
  scoredAt: string;
  aborted?: string;
}

/** Evaluates a stored campaign's checklist; undefined when the campaign is unknown. */
export async function scoreFromStore(store: ResultsStore, args: ScoreInput): Promise<ChecklistEvaluation | undefined> {
  const [source, config] = await Promise.all([
    store.loadReportSource(args.campaignId, { timelines: false }),
    store.loadCampaignConfig(args.campaignId),
  ]);
  if (!source || !config) return undefined;
  // The evidence as it stood when scored: no verdict, no end time, no earlier evaluation or comparison.
  const { verdict: _verdict, checklist: _checklist, comparison: _comparison, ...evidence } = source;
  const { finishedAt: _finishedAt, ...campaign } = source.campaign;
  const report = buildReport({ ...evidence, campaign, phases: args.phases }, args.scoredAt);
  return evaluateChecklist({
    items: args.items,
    report,
    phaseEndedAt: args.phaseEndedAt,
    attestations: args.attestations,
    waivers: args.waivers,
    scoredAt: args.scoredAt,
    policy: policyOf(config.verdict),
    ...(args.aborted ? { aborted: args.aborted } : {}),
  });
}
