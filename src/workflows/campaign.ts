/**
 * The readiness campaign, top to bottom like the runbook it automates:
 * baseline -> stress -> spike -> monitoring -> backup -> faults -> checklist -> scoring -> report.
 * Deterministic: all I/O happens in activities; raw results go to Postgres and only summaries come back here.
 * Each phase is one `runPhase` line: the helper owns the rules every phase shares (its approval gate, an abort,
 * a skip, a missing section, settling the outcome); handlers live in campaign-run.ts, gates.ts and
 * checklist-updates.ts.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  allHandlersFinished,
  condition,
  patched,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { validateCampaign } from '../config/validate';
import type { Campaign } from '../config/schema';
import { checklistSections, resolveChecklist } from '../core/checklist';
import { parseDurationMs } from '../core/duration';
import { FAILURE } from '../core/errors';
import {
  abortedOutcome,
  baselineOutcome,
  checklistOutcome,
  notConfigured,
  spikeOutcome,
  stressOutcome,
  type PhaseError,
} from '../core/outcomes';
import { chosenIdProblem, SA_PHASE, SA_SCORE, SA_TARGET, SA_VERDICT } from '../core/names';
import type { CampaignInput } from '../config/input';
import type { BaselinePhaseResult, CampaignProgress, CampaignResult, PhaseName, PhaseOutcome } from '../core/types';
import { abortControl, installProgressAndAbort, newRun, publish, type CampaignRun } from './campaign-run';
import { installChecklistUpdates } from './checklist-updates';
import { installGates } from './gates';
import { runLoadStep, SYNC_START_MS } from './load-step';
import { abortSignal } from './messages';
import { runBackup } from './backup';
import { runFaults } from './faults';
import { runMonitoring } from './monitoring';
import { probe, store } from './proxies';
import { spikeWorkflow, stressWorkflow } from './stress';
import type { StressReturn } from '../core/stress';

/** Health probes of the target before baseline load, and the pause between them. */
const HEALTH_TRIES = 3;
const HEALTH_RETRY_MS = 5_000;

/** Runs one readiness campaign to a verdict and a report. */
export async function readinessCampaignWorkflow(input: CampaignInput): Promise<CampaignResult> {
  const { campaign, campaignId } = checkedInput(input);
  const startedAt = new Date().toISOString();
  const run = newRun(campaignId, campaign.name, startedAt);
  const { progress } = run;
  const phaseEndedAt: Partial<Record<PhaseName, string>> = {};
  // The checklist is resolved from the campaign file (deterministic); attestations and waivers arrive as updates at
  // any time until it is scored. Each phase may stand behind an approval gate (approve / reject updates).
  const checklistItems = input.checklist ?? resolveChecklist(campaign.checklist, checklistSections(campaign)).items;
  const signOff = installChecklistUpdates(checklistItems, run);
  const passGate = installGates(campaign, run);
  installProgressAndAbort(run);
  // Campaigns that were running before aborts stopped drills and probes replay without it (no cancel commands).
  const phaseAbortControl = () => (patched('abort-stops-drills-and-probes') ? abortControl(run) : undefined);

  upsertSearchAttributes([{ key: SA_TARGET, value: campaign.target.baseUrl }]);
  await store.recordCampaignStart({ campaignId, campaign, configHash: input.configHash, startedAt });

  // 1. Baseline load: smoke / normal / peak / endurance.
  await runPhase('baseline', campaign.baseline, () => runBaseline(campaign, run));
  // 2. Progressive stress until failure (child workflow); its alert checks are judged with monitoring.
  let stress: StressReturn | PhaseError | undefined;
  await runPhase('stress', campaign.stress, async () =>
    stressOutcome((stress = await runChild(stressWorkflow, 'stress'))),
  );
  // 3. Spike and recovery (child workflow).
  await runPhase('spike', campaign.spike, async () => spikeOutcome(await runChild(spikeWorkflow, 'spike')));
  // 4. Monitoring checks against the real monitoring systems (and the alert checks made under stress).
  const alertChecks = () => (stress && 'alertChecks' in stress ? (stress.alertChecks ?? []) : []);
  await runPhase(
    'monitoring',
    campaign.monitoring,
    async (m) => (await runMonitoring(campaignId, m, alertChecks(), phaseAbortControl())).outcome,
  );
  // 5. Backup drills: restore for real and prove the data; Redis persistence; service recovery.
  await runPhase('backup', campaign.backup, (b) => runBackup(campaignId, b, campaign.settings, phaseAbortControl()));
  // 6. Faults: the dependencies benchmarked directly. Campaigns started before the phase existed replay without it.
  if (patched('faults-phase'))
    await runPhase('faults', campaign.faults, (f) => runFaults(campaignId, f, campaign.settings, phaseAbortControl()));
  else settle('faults', notConfigured('faults'));
  // 7. The checklist: wait (durably, up to the attestation deadline) for people to attest or waive the manual items.
  await signOffChecklist();

  // 8. Scoring: every item from the stored evidence, attestations and waivers.
  enter('scoring');
  const phases = progress.phases as Record<PhaseName, PhaseOutcome>;
  const { verdict } = await store.scoreChecklist({
    campaignId,
    items: checklistItems,
    phases,
    phaseEndedAt,
    attestations: signOff.attestations,
    waivers: signOff.waivers,
    scoredAt: progress.checklist!.scoredAt!,
    ...(run.aborted ? { aborted: `${run.aborted.by}${run.aborted.reason ? `: ${run.aborted.reason}` : ''}` } : {}),
  });
  const finishedAt = new Date().toISOString();
  await store.recordCampaignEnd({ campaignId, verdict, phases, finishedAt });

  // 9. Report.
  enter('report');
  const { reportDir } = await store.writeCampaignReport({ campaignId });
  upsertSearchAttributes([
    { key: SA_PHASE, value: 'done' },
    { key: SA_VERDICT, value: verdict.decision },
    { key: SA_SCORE, value: verdict.scorePct },
  ]);
  progress.phase = 'done';
  publish(run, verdict);
  await condition(allHandlersFinished);
  return {
    campaignId,
    decision: verdict.decision,
    scorePct: verdict.scorePct,
    verdict,
    phases,
    reportDir,
    startedAt,
    finishedAt,
  };

  /**
   * One phase: wait at its gate, then settle it as skipped (a gate that timed out with `skip`), aborted (the campaign
   * was stopped before it), not configured (no section in the campaign file), or what `body` measured.
   */
  async function runPhase<S>(
    phase: PhaseName,
    section: S | undefined,
    body: (section: S) => Promise<PhaseOutcome>,
  ): Promise<void> {
    const gate = await passGate(phase);
    enter(phase);
    settle(
      phase,
      gate.skip ??
        (run.aborted
          ? abortedOutcome(run.aborted)
          : section === undefined
            ? notConfigured(phase)
            : await body(section)),
    );
  }

  /**
   * The checklist phase, the one phase judged even when the campaign was stopped (items attested ahead of time
   * still count): it waits for sign-off only when it runs, then scores what is missing.
   */
  async function signOffChecklist(): Promise<void> {
    const gate = await passGate('checklist');
    enter('checklist');
    const deadlineMs = parseDurationMs(campaign.checklist?.attestationDeadline ?? '0s') ?? 0;
    signOff.refresh();
    const checklist = progress.checklist!;
    if (!run.aborted && !gate.skip && deadlineMs > 0 && checklist.missing.length) {
      checklist.waitingUntil = new Date(Date.now() + deadlineMs).toISOString();
      progress.step = `waiting for ${checklist.missing.length} manual item(s) until ${checklist.waitingUntil}`;
      publish(run);
      await condition(() => !!run.aborted || signOff.missing().length === 0, deadlineMs);
      checklist.waitingUntil = undefined;
    }
    signOff.refresh();
    checklist.scoredAt = new Date().toISOString();
    const stopped = gate.skip ?? (run.aborted ? abortedOutcome(run.aborted) : undefined);
    settle(
      'checklist',
      checklistOutcome({
        missing: checklist.missing.length,
        manualItems: checklist.manualItems,
        hadDeadline: deadlineMs > 0,
        ...(stopped ? { stopped } : {}),
      }),
    );
  }

  function enter(phase: CampaignProgress['phase']): void {
    Object.assign(progress, {
      phase,
      step: undefined,
      stepIndex: undefined,
      stepCount: undefined,
      stepStartedAt: undefined,
      stepDurationMs: undefined,
    });
    upsertSearchAttributes([{ key: SA_PHASE, value: phase }]);
    publish(run);
  }

  function settle(phase: PhaseName, outcome: PhaseOutcome): void {
    progress.phases[phase] = outcome;
    phaseEndedAt[phase] = new Date().toISOString();
  }

  /** Runs a phase child workflow; an abort is forwarded to it, and it returns what it measured. */
  async function runChild<R>(
    workflow: (args: { campaignId: string; campaign: Campaign }) => Promise<R>,
    phase: 'stress' | 'spike',
  ): Promise<R | PhaseError> {
    run.childId = `${campaignId}-${phase}`;
    progress.step = `child workflow ${run.childId}`;
    publish(run);
    try {
      const child = await startChild(workflow, { workflowId: run.childId, args: [{ campaignId, campaign }] });
      // An abort that arrived while the child was being started could not reach it: forward it now.
      if (run.aborted) await child.signal(abortSignal, run.aborted).catch(() => undefined);
      return await child.result();
    } catch (err) {
      if (err instanceof ChildWorkflowFailure) return { error: err.cause?.message ?? err.message };
      throw err;
    } finally {
      run.childId = undefined;
    }
  }
}

/**
 * The campaign and its id, validated: the CLI validated the file, but a campaign started any other way (an SDK
 * client, `temporal workflow start`, a hand-made schedule) fails here at once, naming every problem, before anything
 * runs. Validation is idempotent on its own output, so the campaign used is the one the CLI sent. A scheduled run's
 * id is the schedule's prefix (input.campaignId) plus its scheduled time: each run is its own campaign.
 */
function checkedInput(input: CampaignInput): { campaign: Campaign; campaignId: string } {
  // (Patched: a campaign started before this check replays without it.)
  // The history bounds (config/limits.ts) apply to campaigns started since they exist. (Patched.)
  const checked = patched('validate-campaign-input')
    ? validateCampaign(input?.campaign, { limits: patched('history-limits') })
    : { ok: true as const, campaign: input.campaign };
  if (!checked.ok) {
    const listed = checked.problems
      .slice(0, 20)
      .map((p) => `${p.path}: ${p.message}`)
      .join('; ');
    throw ApplicationFailure.nonRetryable(
      `invalid campaign input: ${listed}${checked.problems.length > 20 ? `; and ${checked.problems.length - 20} more` : ''}`,
      FAILURE.INVALID_CAMPAIGN,
    );
  }
  if (typeof input.campaignId !== 'string' || !input.campaignId)
    throw ApplicationFailure.nonRetryable(
      'invalid campaign input: campaignId must be a non-empty string',
      FAILURE.INVALID_CAMPAIGN,
    );
  // The id names the report directory: a direct start with `../x` is refused like a bad --id. (Patched.)
  const idProblem = patched('validate-campaign-id') ? chosenIdProblem(input.campaignId) : undefined;
  if (idProblem)
    throw ApplicationFailure.nonRetryable(`invalid campaign input: campaignId ${idProblem}`, FAILURE.INVALID_CAMPAIGN);
  const runId = workflowInfo().workflowId;
  return {
    campaign: checked.campaign,
    campaignId: runId.startsWith(`${input.campaignId}-`) ? runId : input.campaignId,
  };
}

/** The baseline phase: the target's health (three probes before it counts as unreachable), then each load phase in turn. */
async function runBaseline(campaign: Campaign, run: CampaignRun): Promise<PhaseOutcome> {
  const baseline = campaign.baseline!;
  const { campaignId, progress } = run;
  try {
    // A target restarting just now is not down: three probes, 5 s apart, before it counts as unreachable.
    // (Patched: campaigns that started before this change replay with their single probe.)
    const tries = patched('health-probe-retries') ? HEALTH_TRIES : 1;
    let health = await probe.checkTargetHealth({ target: campaign.target });
    for (let i = 1; i < tries && !health.ok && !run.aborted; i++) {
      await sleep(HEALTH_RETRY_MS);
      health = await probe.checkTargetHealth({ target: campaign.target });
    }
    if (!health.ok)
      return {
        status: 'error',
        reason: `target unreachable${tries > 1 ? ` (${tries} probes, ${HEALTH_RETRY_MS / 1000} s apart)` : ''}: ${health.error}`,
      };
  } catch (err) {
    if (err instanceof ActivityFailure) return { status: 'error', reason: err.cause?.message ?? err.message };
    throw err;
  }

  const results: BaselinePhaseResult[] = [];
  progress.stepCount = baseline.phases.length;
  for (const [index, phase] of baseline.phases.entries()) {
    if (run.aborted) break;
    Object.assign(progress, {
      step: phase.name,
      stepIndex: index,
      stepStartedAt: new Date(Date.now() + SYNC_START_MS).toISOString(),
      stepDurationMs: parseDurationMs(phase.duration) ?? 0,
    });
    publish(run);
    const step = await runLoadStep({
      campaignId,
      phase,
      campaign,
      thresholds: baseline.thresholds,
      onScope: (s) => (run.loadScope = s),
    });
    if (step.kind === 'error') return { status: 'error', reason: `phase ${step.reason}` };
    const cancelled = step.kind === 'cancelled';
    results.push(
      await store.finalizeLoadPhase({
        campaignId,
        ordinal: index,
        phase,
        thresholds: baseline.thresholds,
        aborted: cancelled,
      }),
    );
    if (cancelled) break;
  }
  if (run.aborted)
    return abortedOutcome(
      run.aborted,
      `${results.filter((r) => r.assessment !== 'aborted').length} of ${baseline.phases.length} phases completed`,
    );
  return baselineOutcome(results);
}
