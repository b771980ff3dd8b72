/**
 * The readiness campaign, top to bottom like the runbook it automates:
 * baseline -> stress -> spike -> monitoring -> backup -> checklist -> scoring -> report.
 * Deterministic: all I/O happens in activities; raw results go to Postgres and only summaries
 * come back here.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  CancellationScope,
  condition,
  allHandlersFinished,
  startChild,
  getExternalWorkflowHandle,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { validateCampaign } from '../config/validate';
import { parseDurationMs } from '../core/duration';
import { FAILURE } from '../core/errors';
import { chosenIdProblem, SA_PHASE, SA_SCORE, SA_TARGET, SA_VERDICT } from '../core/names';
import { PHASES, type BaselinePhaseResult, type CampaignInput, type CampaignProgress, type CampaignResult, type GateProgress, type PhaseName, type PhaseOutcome } from '../core/types';
import { missingManualItems, resolveChecklist } from '../core/checklist';
import type { Attestation, Waiver } from '../core/checklist-types';
import { probe, store } from './proxies';
import { runLoadStep, SYNC_START_MS } from './load-step';
import {
  abortSignal, approveUpdate, attestUpdate, progressQuery, rejectUpdate, waiveUpdate,
  abortedOutcome, type AbortControl, type AbortRequest, type ApproveRequest, type AttestRequest, type RejectRequest, type WaiveRequest,
} from './messages';
import { runBackup } from './backup';
import { runMonitoring } from './monitoring';
import { spikeWorkflow, stressWorkflow, type SpikeResult, type StressResult } from './stress';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Health probes of the target before baseline load, and the pause between them. */
const HEALTH_TRIES = 3;
const HEALTH_RETRY_MS = 5_000;

/** Runs one readiness campaign to a verdict and a report. */
export async function readinessCampaignWorkflow(input: CampaignInput): Promise<CampaignResult> {
  // The CLI validated the file; a campaign started any other way (an SDK client, `temporal workflow start`, a
  // hand-made schedule) is validated here, and fails at once, naming every problem, before anything runs.
  // Validation is idempotent on its own output, so the campaign the workflow uses is the one the CLI sent.
  // (Patched: a campaign started before this check replays without it.)
  const checked = patched('validate-campaign-input') ? validateCampaign(input?.campaign) : { ok: true as const, campaign: input.campaign };
  if (!checked.ok) {
    throw ApplicationFailure.nonRetryable(
      `invalid campaign input: ${checked.problems.slice(0, 20).map((p) => `${p.path}: ${p.message}`).join('; ')}${checked.problems.length > 20 ? `; and ${checked.problems.length - 20} more` : ''}`,
      FAILURE.INVALID_CAMPAIGN,
    );
  }
  const campaign = checked.campaign;
  if (typeof input.campaignId !== 'string' || !input.campaignId) throw ApplicationFailure.nonRetryable('invalid campaign input: campaignId must be a non-empty string', FAILURE.INVALID_CAMPAIGN);
  // The id names the report directory: a direct start with `../x` is refused like a bad --id. (Patched.)
  const idProblem = patched('validate-campaign-id') ? chosenIdProblem(input.campaignId) : undefined;
  if (idProblem) throw ApplicationFailure.nonRetryable(`invalid campaign input: campaignId ${idProblem}`, FAILURE.INVALID_CAMPAIGN);
  // A scheduled run's workflow id is the schedule's prefix (input.campaignId) plus its scheduled time: each
  // run is its own campaign, stored and compared on its own.
  const runId = workflowInfo().workflowId;
  const campaignId = runId.startsWith(`${input.campaignId}-`) ? runId : input.campaignId;
  const startedAt = new Date().toISOString();
  const phases = Object.fromEntries(PHASES.map((p) => [p, { status: 'pending' }])) as CampaignProgress['phases'];
  const progress: CampaignProgress = { campaignId, name: campaign.name, phase: 'starting', phases, startedAt };
  let aborted: AbortRequest | undefined;
  /** The scope of the load step running now: an abort cancels it. */
  let loadScope: CancellationScope | undefined;
  /** Scopes of drills and probes running now (monitoring runs its probes side by side): an abort cancels each. */
  const phaseScopes = new Set<CancellationScope>();
  const abortControl: AbortControl = {
    run: async (call) => {
      const scope = new CancellationScope();
      phaseScopes.add(scope);
      try {
        return await scope.run(call);
      } finally {
        phaseScopes.delete(scope);
      }
    },
    aborted: () => aborted,
  };
  // Campaigns that were running before aborts stopped drills and probes replay without it (no cancel commands).
  const phaseAbortControl = () => (patched('abort-stops-drills-and-probes') ? abortControl : undefined);
  let childId: string | undefined;

  // The checklist: resolved from the campaign file (deterministic); attestations and waivers arrive as
  // updates at any time until it is scored.
  const checklistItems = input.checklist ?? resolveChecklist(campaign.checklist).items;
  const phaseEndedAt: Partial<Record<PhaseName, string>> = {};
  const attestations: Attestation[] = [];
  const waivers: Waiver[] = [];
  const manualIds = checklistItems.filter((i) => i.manual).map((i) => i.id);
  progress.checklist = { manualItems: manualIds.length, missing: [...manualIds], attested: [], waived: [] };
  const refreshChecklist = () => {
    progress.checklist!.missing = missingManualItems(checklistItems, attestations, waivers, Date.now());
    progress.checklist!.attested = [...new Set(attestations.map((a) => a.itemId))];
    progress.checklist!.waived = [...new Set(waivers.filter((w) => Date.parse(w.expires) > Date.now()).map((w) => w.itemId))];
    setCurrentDetails(currentDetails(progress));
  };
  const itemOf = (itemId: string) => {
    if (progress.checklist!.scoredAt) throw new Error(`campaign ${campaignId} is closed: its checklist was scored at ${progress.checklist!.scoredAt}`);
    const item = checklistItems.find((i) => i.id === itemId);
    if (!item) throw new Error(`unknown checklist item "${itemId}"; the campaign's items are: ${checklistItems.map((i) => i.id).join(', ')}`);
    return item;
  };
  const person = (by: string) => {
    if (!by || !by.trim()) throw new Error('--by must name the person');
  };
  setHandler(attestUpdate, (req: AttestRequest) => {
    attestations.push({ itemId: req.itemId, by: req.by.trim(), at: new Date().toISOString(), ...(req.evidence ? { evidence: req.evidence } : {}), ...(req.note ? { note: req.note } : {}) });
    refreshChecklist();
    log.info('checklist item attested', { itemId: req.itemId, by: req.by });
    return { itemId: req.itemId, missing: progress.checklist!.missing };
  }, {
    validator: (req: AttestRequest) => {
      const item = itemOf(req.itemId);
      person(req.by);
      if (!item.manual) throw new Error(`checklist item "${req.itemId}" is automated: it is judged on evidence (${item.automated && 'check' in item.automated ? item.automated.check : item.automated?.expr}); waive it instead`);
    },
  });
  setHandler(waiveUpdate, (req: WaiveRequest) => {
    waivers.push({ itemId: req.itemId, by: req.by.trim(), at: new Date().toISOString(), reason: req.reason.trim(), expires: new Date(Date.parse(req.expires)).toISOString() });
    refreshChecklist();
    log.info('checklist item waived', { itemId: req.itemId, by: req.by, expires: req.expires });
    return { itemId: req.itemId, missing: progress.checklist!.missing };
  }, {
    validator: (req: WaiveRequest) => {
      itemOf(req.itemId);
      person(req.by);
      if (!req.reason || !req.reason.trim()) throw new Error('a waiver needs --reason');
      // An explicit instant only (the CLI sends one): a local time would depend on the worker's time zone.
      const expires = ISO_INSTANT.test(req.expires) ? Date.parse(req.expires) : NaN;
      if (Number.isNaN(expires)) throw new Error(`expires "${req.expires}" is not an ISO 8601 instant with a zone (e.g. 2026-12-31T23:59:59Z)`);
      if (expires <= Date.now()) throw new Error(`--expires ${new Date(expires).toISOString()} is not in the future: the waiver would be expired already`);
    },
  });

  // Approval gates: approve / reject are updates, accepted ahead of time too, until the gate is decided.
  const gates: GateProgress[] = (campaign.gates ?? []).map((g) => ({ before: g.before, state: 'pending', onTimeout: g.onTimeout, ...(g.approvers ? { approvers: g.approvers } : {}) }));
  if (gates.length) progress.gates = gates;
  const gateOf = (req: { gate: string; by: string }) => {
    const g = gates.find((x) => x.before === req.gate);
    if (!g) throw new Error(`no gate before "${req.gate}" in this campaign${gates.length ? ` (gates: ${gates.map((x) => x.before).join(', ')})` : ''}`);
    if (g.state !== 'pending' && g.state !== 'waiting') throw new Error(`the gate before ${g.before} is already ${g.state}${g.by ? ` (by ${g.by})` : ''}`);
    person(req.by);
    if (g.approvers && !g.approvers.includes(req.by.trim())) throw new Error(`${req.by} is not an approver of the gate before ${g.before} (approvers: ${g.approvers.join(', ')})`);
    return g;
  };
  const decide = (g: GateProgress, state: 'approved' | 'rejected', by: string, note?: string) => {
    Object.assign(g, { state, by: by.trim(), at: new Date().toISOString(), until: undefined, ...(note ? { note } : {}) });
    log.info(`gate ${state}`, { gate: g.before, by });
    return { gate: g.before, state: g.state };
  };
  setHandler(approveUpdate, (req: ApproveRequest) => decide(gateOf(req), 'approved', req.by, req.note), { validator: (req: ApproveRequest) => void gateOf(req) });
  setHandler(rejectUpdate, (req: RejectRequest) => decide(gateOf(req), 'rejected', req.by, req.reason), {
    validator: (req: RejectRequest) => {
      gateOf(req);
      if (!req.reason || !req.reason.trim()) throw new Error('a rejection needs --reason');
    },
  });

  /**
   * Waits at the gate before `phase`, if there is one: until it is approved or rejected (or was ahead of
   * time), the campaign is aborted, or the timeout passes. Returns `skip` with the phase's outcome when the
   * phase is to be skipped; a rejection or an aborting timeout stops the campaign (as an abort does).
   */
  async function passGate(phase: PhaseName): Promise<{ skip?: PhaseOutcome }> {
    const g = gates.find((x) => x.before === phase);
    const cfg = campaign.gates?.find((x) => x.before === phase);
    if (!g || !cfg || aborted) return {};
    if (g.state === 'pending') {
      const timeoutMs = parseDurationMs(cfg.timeout) ?? 0;
      g.state = 'waiting';
      g.until = new Date(Date.now() + timeoutMs).toISOString();
      progress.phase = phase;
      progress.step = `waiting for approval until ${g.until}${g.approvers ? ` (approvers: ${g.approvers.join(', ')})` : ''}`;
      upsertSearchAttributes([{ key: SA_PHASE, value: `approval:${phase}` }]);
      setCurrentDetails(currentDetails(progress));
      await condition(() => g.state !== 'waiting' || !!aborted, timeoutMs);
    }
    if (aborted) return {};
    if (g.state === 'approved') return {};
    if (g.state === 'rejected') {
      aborted = { by: g.by!, reason: `rejected at the gate before ${phase}: ${g.note ?? ''}` };
      progress.abortedBy = g.by;
      return {};
    }
    g.state = 'timed_out';
    g.until = undefined;
    if (cfg.onTimeout === 'skip') return { skip: { status: 'not_run', reason: `skipped: the approval gate before ${phase} timed out after ${cfg.timeout} without a decision` } };
    aborted = { by: 'gate timeout', reason: `the approval gate before ${phase} timed out after ${cfg.timeout} without a decision` };
    progress.abortedBy = 'gate timeout';
    return {};
  }

  setHandler(progressQuery, () => progress);
  setHandler(abortSignal, (req) => {
    if (aborted) return;
    aborted = req;
    progress.abortedBy = req.by;
    setCurrentDetails(currentDetails(progress));
    log.warn('campaign aborted', { by: req.by, reason: req.reason });
    loadScope?.cancel();
    for (const scope of phaseScopes) scope.cancel();
    // A running phase child stops its current step and returns what it measured.
    if (childId) getExternalWorkflowHandle(childId).signal(abortSignal, req).catch(() => undefined);
  });

  const enter = (phase: CampaignProgress['phase']) => {
    progress.phase = phase;
    progress.step = undefined;
    progress.stepIndex = undefined;
    progress.stepCount = undefined;
    progress.stepStartedAt = undefined;
    progress.stepDurationMs = undefined;
    upsertSearchAttributes([{ key: SA_PHASE, value: phase }]);
    setCurrentDetails(currentDetails(progress));
  };
  const settle = (phase: PhaseName, outcome: PhaseOutcome) => {
    phases[phase] = outcome;
    phaseEndedAt[phase] = new Date().toISOString();
  };
  upsertSearchAttributes([{ key: SA_TARGET, value: campaign.target.baseUrl }]);
  await store.recordCampaignStart({ campaignId, campaign, configHash: input.configHash, startedAt });

  // Each phase may stand behind an approval gate (`gates`): passGate waits for approve / reject up to its
  // timeout; a skipped phase is recorded not_run, a rejection or an aborting timeout stops the campaign.

  // 1. Baseline load: smoke / normal / peak / endurance.
  let gate = await passGate('baseline');
  enter('baseline');
  settle('baseline', gate.skip ? gate.skip : aborted ? abortedOutcome(aborted) : await runBaseline());

  // 2. Progressive stress until failure (child workflow).
  gate = await passGate('stress');
  enter('stress');
  const stressResult = !aborted && !gate.skip && campaign.stress ? await runChild('stress') : undefined;
  settle('stress', gate.skip ? gate.skip : aborted && !stressResult ? abortedOutcome(aborted) : stressResult ? stressOutcome(stressResult) : notConfigured('stress'));

  // 3. Spike and recovery (child workflow).
  gate = await passGate('spike');
  enter('spike');
  settle('spike', gate.skip ? gate.skip : aborted ? abortedOutcome(aborted) : campaign.spike ? spikeOutcome(await runChild('spike')) : notConfigured('spike'));

  // 4. Monitoring checks against the real monitoring systems (and the alert checks made under stress).
  gate = await passGate('monitoring');
  enter('monitoring');
  settle('monitoring', gate.skip ? gate.skip : aborted
    ? abortedOutcome(aborted)
    : (await runMonitoring(campaignId, campaign, stressResult && 'alertChecks' in stressResult ? stressResult.alertChecks ?? [] : [], phaseAbortControl())).outcome);

  // 5. Backup drills: restore for real and prove the data; Redis persistence; service recovery.
  gate = await passGate('backup');
  enter('backup');
  settle('backup', gate.skip ? gate.skip : aborted ? abortedOutcome(aborted) : await runBackup(campaignId, campaign, phaseAbortControl()));

  // 6. The checklist: wait (durably, up to the attestation deadline) for people to attest or waive the
  // manual items, then score every item. (A gate before it that skips leaves the manual items missing.)
  gate = await passGate('checklist');
  enter('checklist');
  const deadlineMs = parseDurationMs(campaign.checklist?.attestationDeadline ?? '0s') ?? 0;
  refreshChecklist();
  if (!aborted && !gate.skip && deadlineMs > 0 && progress.checklist.missing.length) {
    progress.checklist.waitingUntil = new Date(Date.now() + deadlineMs).toISOString();
    progress.step = `waiting for ${progress.checklist.missing.length} manual item(s) until ${progress.checklist.waitingUntil}`;
    setCurrentDetails(currentDetails(progress));
    await condition(() => !!aborted || missingManualItems(checklistItems, attestations, waivers, Date.now()).length === 0, deadlineMs);
    progress.checklist.waitingUntil = undefined;
  }
  refreshChecklist();
  const scoredAt = new Date().toISOString();
  progress.checklist.scoredAt = scoredAt;
  const missing = progress.checklist.missing;
  settle('checklist', gate.skip && missing.length
    ? gate.skip
    : aborted && missing.length
    ? abortedOutcome(aborted)
    : missing.length
      ? { status: 'fail', reason: `${missing.length} of ${manualIds.length} manual items neither attested nor waived${deadlineMs > 0 ? ' by the deadline' : ''}` }
      : { status: 'pass', reason: `${manualIds.length} manual items attested or waived` });

  // 7. Scoring: every item from the stored evidence, attestations and waivers.
  enter('scoring');
  const outcomes = phases as Record<PhaseName, PhaseOutcome>;
  const { verdict } = await store.scoreChecklist({
    campaignId, items: checklistItems, phases: outcomes, phaseEndedAt, attestations, waivers, scoredAt,
    ...(aborted ? { aborted: `${aborted.by}${aborted.reason ? `: ${aborted.reason}` : ''}` } : {}),
  });
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
  setCurrentDetails(currentDetails(progress, verdict));
  await condition(allHandlersFinished);
  return { campaignId, decision: verdict.decision, scorePct: verdict.scorePct, verdict, phases: outcomes, reportDir, startedAt, finishedAt };

  async function runChild(phase: 'stress'): Promise<StressResult | { error: string }>;
  async function runChild(phase: 'spike'): Promise<SpikeResult | { error: string }>;
  async function runChild(phase: 'stress' | 'spike'): Promise<StressResult | SpikeResult | { error: string }> {
    childId = `${campaignId}-${phase}`;
    progress.step = `child workflow ${childId}`;
    setCurrentDetails(currentDetails(progress));
    try {
      const args = [{ campaignId, campaign }] as [{ campaignId: string; campaign: typeof campaign }];
      const child = phase === 'stress'
        ? await startChild(stressWorkflow, { workflowId: childId, args })
        : await startChild(spikeWorkflow, { workflowId: childId, args });
      // An abort that arrived while the child was being started could not reach it: forward it now.
      if (aborted) await child.signal(abortSignal, aborted).catch(() => undefined);
      return await child.result();
    } catch (err) {
      if (err instanceof ChildWorkflowFailure) return { error: err.cause?.message ?? err.message };
      throw err;
    } finally {
      childId = undefined;
    }
  }

  async function runBaseline(): Promise<PhaseOutcome> {
    const baseline = campaign.baseline;
    if (!baseline) return { status: 'not_run', reason: 'no baseline section in the campaign file' };

    try {
      // A target restarting just now is not down: three probes, 5 s apart, before it counts as unreachable.
      // (Patched: campaigns that started before this change replay with their single probe.)
      const tries = patched('health-probe-retries') ? HEALTH_TRIES : 1;
      let health = await probe.checkTargetHealth({ target: campaign.target });
      for (let i = 1; i < tries && !health.ok && !aborted; i++) {
        await sleep(HEALTH_RETRY_MS);
        health = await probe.checkTargetHealth({ target: campaign.target });
      }
      if (!health.ok) return { status: 'error', reason: `target unreachable${tries > 1 ? ` (${tries} probes, ${HEALTH_RETRY_MS / 1000} s apart)` : ''}: ${health.error}` };
    } catch (err) {
      if (err instanceof ActivityFailure) return { status: 'error', reason: err.cause?.message ?? err.message };
      throw err;
    }

    const results: BaselinePhaseResult[] = [];
    progress.stepCount = baseline.phases.length;
    for (const [index, phase] of baseline.phases.entries()) {
      if (aborted) break;
      progress.step = phase.name;
      progress.stepIndex = index;
      progress.stepStartedAt = new Date(Date.now() + SYNC_START_MS).toISOString();
      progress.stepDurationMs = parseDurationMs(phase.duration) ?? 0;
      setCurrentDetails(currentDetails(progress));
      const step = await runLoadStep({ campaignId, phase, campaign, thresholds: baseline.thresholds, onScope: (s) => (loadScope = s) });
      if (step.kind === 'error') return { status: 'error', reason: `phase ${step.reason}` };
      const cancelled = step.kind === 'cancelled';
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

/**
 * The "current details" the Web UI shows for a campaign (Temporal markdown, via the built-in metadata
 * query; not a command, so replay-safe): phase, step, what it waits for, and at the end the decision.
 */
export function currentDetails(p: CampaignProgress, verdict?: { decision: string; scorePct: number; blockers?: string[] }): string {
  const lines = [`**Phase:** ${p.phase}`];
  if (p.step) lines.push(`**Step:** ${p.step}${p.stepCount ? ` (${(p.stepIndex ?? 0) + 1}/${p.stepCount})` : ''}`);
  const missing = p.phase === 'checklist' ? p.checklist?.missing ?? [] : [];
  if (missing.length) lines.push(`**Manual items missing:** ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}`);
  if (p.abortedBy) lines.push(`**Aborted by:** ${p.abortedBy}`);
  if (verdict) {
    lines.push(`**Decision:** ${verdict.decision}, score ${verdict.scorePct}%${verdict.blockers?.length ? ` (${verdict.blockers.length} blockers)` : ''}`);
    lines.push(`**Phases:** ${PHASES.map((ph) => `${ph} ${p.phases[ph].status}`).join(', ')}`);
  }
  return lines.map((l) => `- ${l}`).join('\n');
}

function notConfigured(phase: PhaseName): PhaseOutcome {
  return { status: 'not_run', reason: `no ${phase} section in the campaign file (counts against readiness)` };
}

function stressOutcome(r: StressResult | { error: string }): PhaseOutcome {
  if (!('summary' in r)) return { status: 'error', reason: r.error };
  const s = r.summary;
  const unit = r.model === 'closed' ? 'users' : 'req/s';
  if (s.stoppedBecause === 'aborted') return { status: 'aborted', reason: `aborted after ${r.steps.length} steps` };
  if (r.error || s.stoppedBecause === 'generator_invalid') {
    const last = r.steps[r.steps.length - 1];
    return { status: 'error', reason: r.error ?? `the load generator could not drive ${last?.level} ${unit}: ${last?.invalidReason ?? 'invalid step'}` };
  }
  const ceiling = s.capacityCeiling ? `capacity ceiling ${s.capacityCeiling.users} ${unit} at ${s.capacityCeiling.goodputRps} req/s` : 'no passing step';
  const breaking = s.breakingPoint
    ? `breaking point ${s.breakingPoint.users} ${unit} (${s.breakingPoint.criterion}: observed ${round(s.breakingPoint.observed)})`
    : `no breaking point up to ${r.steps[r.steps.length - 1]?.level ?? 0} ${unit}`;
  return { status: 'pass', reason: `${breaking}; ${ceiling}; throughput ceiling ${s.maxThroughputRps} req/s` };
}

function spikeOutcome(r: SpikeResult | { error: string }): PhaseOutcome {
  if (!('users' in r)) return { status: 'error', reason: r.error };
  if (r.error) return { status: 'error', reason: r.error };
  if (r.aborted) return { status: 'aborted', reason: 'aborted during the spike test' };
  if (r.crashed) return { status: 'fail', reason: `target failed its health check after a spike to ${r.users} users (P1)` };
  if (!r.recovered) return { status: 'fail', reason: `did not recover within ${r.withinS} s after a spike to ${r.users} users (P1); ${r.errorsDuringSpike} errors during the spike` };
  return { status: 'pass', reason: `recovered in ${r.recoveryTimeS} s after a spike to ${r.users} users; ${r.errorsDuringSpike} errors during the spike` };
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
