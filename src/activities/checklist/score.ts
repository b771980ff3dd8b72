/**
 * Scoring the checklist from the store: the evidence of every phase (report.json as built from the
 * store), the campaign's checklist and verdict policy, attestations and waivers, at one instant.
 * The campaign workflow's scoring activity and `readiness rescore` both call it, so a rescore
 * recomputes exactly what the campaign decided.
 */
import { evaluateChecklist, policyOf, resolveChecklist } from '../../core/checklist';
import type { Attestation, ChecklistEvaluation, Waiver } from '../../core/checklist-types';
import { buildReport } from '../../core/report';
import type { PhaseName, PhaseOutcome } from '../../core/types';
import type { ResultsStore } from '../../infra/results-store';

/** Evaluates a stored campaign's checklist; undefined when the campaign is unknown. */
export async function scoreFromStore(store: ResultsStore, args: {
  campaignId: string;
  /** Phase outcomes when the campaign has not stored them yet (it scores before it records its end). */
  phases?: Record<PhaseName, PhaseOutcome>;
  attestations: Attestation[];
  waivers: Waiver[];
  scoredAt: string;
}): Promise<ChecklistEvaluation | undefined> {
  const [source, config] = await Promise.all([store.loadReportSource(args.campaignId), store.loadCampaignConfig(args.campaignId)]);
  if (!source || !config) return undefined;
  const report = buildReport({ ...source, ...(args.phases ? { phases: args.phases } : {}), checklist: undefined, comparison: undefined }, args.scoredAt);
  return evaluateChecklist({
    items: resolveChecklist(config.checklist).items,
    report,
    attestations: args.attestations,
    waivers: args.waivers,
    scoredAt: args.scoredAt,
    policy: policyOf(config.verdict),
  });
}
