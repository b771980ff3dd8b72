/**
 * The readiness campaign, top to bottom like the runbook it automates:
 * baseline -> stress -> spike -> monitoring -> backup -> checklist -> scoring -> report.
 * Deterministic: all I/O happens in activities; raw results go to Postgres and only summaries
 * come back here.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  allHandlersFinished,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { parseDurationMs } from '../core/duration';
import { loadTaskQueue, SA_PHASE, SA_SCORE, SA_TARGET, SA_VERDICT } from '../core/names';
import { PHASES, type BaselinePhaseResult, type CampaignInput, type CampaignProgress, type CampaignResult, type PhaseName, type PhaseOutcome } from '../core/types';
import { computeVerdict } from '../core/verdict';
import { abortSignal, progressQuery, type AbortRequest } from './messages';

type Activities = ReturnType<typeof createActivities>;

/** Bookkeeping activities: short, retried with backoff, never cancelled by an abort. */
const store = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20, nonRetryableErrorTypes: ['ConfigError'] },
});

/** The target health probe: a few quick tries, then the campaign records the target as unreachable. */
const probe = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumAttempts: 3, nonRetryableErrorTypes: ['ConfigError', 'HostNotAllowed'] },
});

/** How far ahead of scheduling the generators of a phase start together (ms). */
const SYNC_START_MS = 2_000;

/** Phases this release does not implement yet; they are recorded `not_run` and count against readiness. */
const NOT_YET_AVAILABLE: PhaseName[] = ['stress', 'spike', 'monitoring', 'backup', 'checklist'];

/** Runs one readiness campaign to a verdict and a report. */
export async function readinessCampaignWorkflow(input: CampaignInput): Promise<CampaignResult> {
  const { campaign, campaignId } = input;
  const startedAt = new Date().toISOString();
  const phases = Object.fromEntries(PHASES.map((p) => [p, { status: 'pending' }])) as CampaignProgress['phases'];
  const progress: CampaignProgress = { campaignId, name: campaign.name, phase: 'starting', phases, startedAt };
  let aborted: AbortRequest | undefined;
  let loadScope: CancellationScope | undefined;

  setHandler(progressQuery, () => progress);
  setHandler(abortSignal, (req) => {
    if (aborted) return;
    aborted = req;
    progress.abortedBy = req.by;
    log.warn('campaign aborted', { by: req.by, reason: req.reason });
    loadScope?.cancel();
  });

  const enter = (phase: CampaignProgress['phase']) => {
    progress.phase = phase;
    progress.step = undefined;
    progress.stepIndex = undefined;
    progress.stepCount = undefined;
    progress.stepStartedAt = undefined;
    progress.stepDurationMs = undefined;
    upsertSearchAttributes([{ key: SA_PHASE, value: phase }]);
  };
  const settle = (phase: PhaseName, outcome: PhaseOutcome) => {
    phases[phase] = outcome;
  };
  upsertSearchAttributes([{ key: SA_TARGET, value: campaign.target.baseUrl }]);
  await store.recordCampaignStart({ campaignId, campaign, configHash: input.configHash, startedAt });

  // 1. Baseline load: smoke / normal / peak / endurance.
  enter('baseline');
  settle('baseline', aborted ? abortedOutcome(aborted) : await runBaseline());

  // 2-6. Stress, spike, monitoring, backup and checklist land in their own issues.
  for (const phase of NOT_YET_AVAILABLE) {
    settle(phase, aborted
      ? abortedOutcome(aborted)
      : { status: 'not_run', reason: 'not implemented in this release' });
  }

  // 7. Scoring.
  enter('scoring');
  const outcomes = phases as Record<PhaseName, PhaseOutcome>;
  const verdict = computeVerdict(outcomes);
  if (aborted) {
    verdict.decision = 'NO_GO';
    verdict.blockers.unshift(`aborted by ${aborted.by}${aborted.reason ? `: ${aborted.reason}` : ''}`);
  }
  const finishedAt = new Date().toISOString();
  await store.recordCampaignEnd({ campaignId, verdict, phases: outcomes, finishedAt });

  // 8. Report.
  enter('report');
  const { reportDir } = await store.writeCampaignReport({ campaignId });

  upsertSearchAttributes([
    { key: SA_PHASE, value: 'done' },
    { key: SA_VERDICT, value: verdict.decision },
    { key: SA_SCORE, value: verdict.scorePct },
  ]);
  progress.phase = 'done';
  await condition(allHandlersFinished);
  return { campaignId, decision: verdict.decision, scorePct: verdict.scorePct, verdict, phases: outcomes, reportDir, startedAt, finishedAt };

  async function runBaseline(): Promise<PhaseOutcome> {
    const baseline = campaign.baseline;
    if (!baseline) return { status: 'not_run', reason: 'no baseline section in the campaign file' };

    try {
      const health = await probe.checkTargetHealth({ target: campaign.target });
      if (!health.ok) return { status: 'error', reason: `target unreachable: ${health.error}` };
    } catch (err) {
      if (err instanceof ActivityFailure) return { status: 'error', reason: err.cause?.message ?? err.message };
      throw err;
    }

    const heartbeatTimeoutMs = parseDurationMs(campaign.settings.heartbeatTimeout) ?? 20_000;
    const results: BaselinePhaseResult[] = [];
    progress.stepCount = baseline.phases.length;
    for (const [index, phase] of baseline.phases.entries()) {
      if (aborted) break;
      progress.step = phase.name;
      progress.stepIndex = index;
      const durationMs = parseDurationMs(phase.duration) ?? 0;
      // Every generator of the phase starts at the same moment, a little after scheduling.
      const startAtMs = Date.now() + SYNC_START_MS;
      progress.stepStartedAt = new Date(startAtMs).toISOString();
      progress.stepDurationMs = durationMs;
      const load = proxyActivities<Activities>({
        taskQueue: loadTaskQueue(workflowInfo().taskQueue),
        scheduleToStartTimeout: '10 minutes',
        startToCloseTimeout: durationMs + SYNC_START_MS + 5 * 60_000,
        heartbeatTimeout: heartbeatTimeoutMs,
        cancellationType: 'WAIT_CANCELLATION_COMPLETED',
        retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: ['ConfigError', 'HostNotAllowed', 'LoadCapExceeded'] },
      });
      const scope = (loadScope = new CancellationScope());
      let cancelled = false;
      try {
        await scope.run(() => Promise.all(Array.from({ length: phase.generators }, (_, slice) => load.runLoadSlice({
          campaignId, phase, slice, slices: phase.generators, target: campaign.target, scenario: campaign.scenario,
          thresholds: baseline.thresholds, startAtMs,
        }))));
      } catch (err) {
        if (isCancellation(err)) cancelled = true;
        else if (err instanceof ActivityFailure) {
          scope.cancel();
          return { status: 'error', reason: `phase ${phase.name}: ${err.cause?.message ?? err.message}` };
        } else throw ApplicationFailure.fromError(err);
      } finally {
        loadScope = undefined;
      }
      const result = await store.finalizeLoadPhase({ campaignId, ordinal: index, phase, scenario: campaign.scenario, thresholds: baseline.thresholds, aborted: cancelled });
      results.push(result);
      if (cancelled) break;
    }
    if (aborted) return abortedOutcome(aborted, `${results.filter((r) => r.assessment !== 'aborted').length} of ${baseline.phases.length} phases completed`);
    const invalid = results.filter((r) => r.assessment === 'invalid');
    if (invalid.length) {
      return { status: 'error', reason: invalid.map((r) => `${r.name}: invalid, ${r.notes.join('; ')}`).join('; ') };
    }
    const failed = results.filter((r) => r.assessment === 'fail');
    if (failed.length) {
      return {
        status: 'fail',
        reason: failed.map((r) => `${r.name}: ${[...r.thresholds.filter((t) => !t.ok).map((t) => `${t.threshold}${t.endpoint ? ` {endpoint: ${t.endpoint}}` : ''} (observed ${round(t.observed)})`), ...r.notes].join(', ') || 'no requests completed'}`).join('; '),
      };
    }
    return { status: 'pass', reason: `${results.length} phases within thresholds` };
  }
}

function abortedOutcome(req: AbortRequest, detail?: string): PhaseOutcome {
  return { status: 'aborted', reason: `aborted by ${req.by}${detail ? `; ${detail}` : ''}` };
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
