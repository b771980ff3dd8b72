import { timelinePoints } from '../stress';
import { ApplicationFailure } from '@temporalio/common';
import type { Campaign } from '../../config/schema';
import type { PhaseName, PhaseOutcome, Verdict } from '../../core/types';
import type { Logger } from '../../infra/logger';
import type { ResultsStore } from '../../infra/results-store';
import { toolMetrics } from '../../infra/metrics';
import { loadReport, writeReportFiles } from '../../report/write';
import { blockerLine } from '../../core/checklist';
import type { CategoryScore } from '../../core/checklist-types';
import { scoreFromStore, type ScoreInput } from '../../report/score';
import { FAILURE } from '../../core/errors';

/** Dependencies of the bookkeeping activities. */
export interface StoreDeps {
  logger: Logger;
  store: ResultsStore;
  /** Directory under which each campaign's report directory is written. */
  reportRoot: string;
}

/** Builds the activities that record a campaign and write its report. All are idempotent. */
export function createStoreActivities(deps: StoreDeps) {
  return {
    /** Records the campaign (config with env references only, never secret values). */
    async recordCampaignStart(args: {
      campaignId: string;
      campaign: Campaign;
      configHash: string;
      startedAt: string;
    }): Promise<void> {
      await deps.store.upsertCampaign(args);
      deps.logger.info({ campaignId: args.campaignId, name: args.campaign.name }, 'campaign recorded');
      toolMetrics.campaignStarted();
    },

    /** Records the verdict and per-phase outcomes. */
    /** Stores the result document of a phase run as a child workflow or its own activities (idempotent). */
    async recordPhaseResult(input: {
      campaignId: string;
      phase: 'stress' | 'spike' | 'monitoring' | 'backup' | 'faults';
      result: unknown;
      /** The stress timeline's chart points are added here, from the store (they travel in no history). */
      timelinePointsOf?: string;
    }): Promise<void> {
      let result = input.result;
      if (input.timelinePointsOf && result && typeof result === 'object' && 'timeline' in result && result.timeline) {
        const points = timelinePoints(await deps.store.timelineWindows(input.campaignId, input.timelinePointsOf));
        result = { ...result, timeline: { ...(result.timeline as object), points } };
      }
      await deps.store.upsertPhaseResult(input.campaignId, input.phase, result);
      deps.logger.info({ campaignId: input.campaignId, phase: input.phase }, 'phase result recorded');
    },

    async recordCampaignEnd(args: {
      campaignId: string;
      verdict: Verdict;
      phases: Record<PhaseName, PhaseOutcome>;
      finishedAt: string;
    }): Promise<void> {
      await deps.store.finishCampaign(args);
      deps.logger.info(
        { campaignId: args.campaignId, decision: args.verdict.decision, scorePct: args.verdict.scorePct },
        'campaign finished',
      );
      toolMetrics.campaignFinished(args.verdict.decision, args.phases);
    },

    /**
     * Scores the checklist from every phase's stored evidence, the attestations and the waivers, at the
     * workflow's `scoredAt`; stores the evaluation with the campaign and returns the verdict.
     */
    async scoreChecklist(
      args: ScoreInput,
    ): Promise<{ verdict: Verdict; categories: CategoryScore[]; missing: string[] }> {
      const evaluation = await scoreFromStore(deps.store, args);
      if (!evaluation)
        throw ApplicationFailure.nonRetryable(
          `campaign ${args.campaignId} is not in the results store`,
          FAILURE.NOT_IN_STORE,
        );
      await deps.store.upsertPhaseResult(args.campaignId, 'checklist', evaluation);
      deps.logger.info(
        {
          campaignId: args.campaignId,
          decision: evaluation.decision,
          scorePct: evaluation.scorePct,
          missing: evaluation.missing.length,
        },
        'checklist scored',
      );
      await toolMetrics.phaseDurations(args.phases, args.phaseEndedAt);
      return {
        verdict: {
          decision: evaluation.decision,
          scorePct: evaluation.scorePct,
          reasons: evaluation.reasons,
          blockers: [
            ...(evaluation.aborted ? [`aborted by ${evaluation.aborted}`] : []),
            ...evaluation.blockers.map(blockerLine),
          ],
        },
        categories: evaluation.categories,
        missing: evaluation.missing,
      };
    },

    /** Regenerates report.json and report.md from the store into the campaign's report directory. */
    async writeCampaignReport({ campaignId }: { campaignId: string }): Promise<{ reportDir: string; files: string[] }> {
      const report = await loadReport(deps.store, campaignId, new Date());
      if (!report)
        throw ApplicationFailure.nonRetryable(
          `campaign ${campaignId} is not in the results store`,
          FAILURE.NOT_IN_STORE,
        );
      return writeReportFiles(deps.reportRoot, report);
    },
  };
}
