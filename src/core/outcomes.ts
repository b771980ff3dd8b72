/**
 * How each phase of a campaign is summed up in one line (`PhaseOutcome`), and the Web UI's "current details":
 * the wording of the campaign's progress, in one place. Pure: phase results in, outcome out.
 */
import type { BaselinePhaseResult, CampaignProgress, PhaseName, PhaseOutcome } from './types';
import { PHASES } from './types';
import type { SpikeResult, StressResult, StressReturn } from './stress';

/** Who stopped a campaign, and why (an abort signal, a rejection at a gate, an aborting gate timeout). */
export interface StopRequest {
  by: string;
  reason?: string;
}

/** A phase stopped by an abort (or a rejection, or an aborting gate timeout). */
export function abortedOutcome(req: StopRequest, detail?: string): PhaseOutcome {
  return { status: 'aborted', reason: `aborted by ${req.by}${detail ? `; ${detail}` : ''}` };
}

/** A phase whose section the campaign file does not have: not run, and it counts against readiness (fail closed). */
export function notConfigured(phase: PhaseName): PhaseOutcome {
  return { status: 'not_run', reason: `no ${phase} section in the campaign file (counts against readiness)` };
}

/** A phase whose child workflow or activities failed for good: an error, with the reason. */
export interface PhaseError {
  error: string;
}

/**
 * The stress phase: the breaking point, the capacity ceiling and the throughput ceiling, or why it could not tell.
 * Takes what the child returns (a whole result in histories recorded before it returned less).
 */
export function stressOutcome(r: StressResult | StressReturn | PhaseError): PhaseOutcome {
  if (!('summary' in r)) return { status: 'error', reason: r.error };
  const s = r.summary;
  const steps = 'steps' in r ? r.steps.length : r.stepCount;
  const last = 'steps' in r ? r.steps[r.steps.length - 1] : r.lastStep;
  const unit = r.model === 'closed' ? 'users' : 'req/s';
  if (s.stoppedBecause === 'aborted') return { status: 'aborted', reason: `aborted after ${steps} steps` };
  if (r.error || s.stoppedBecause === 'generator_invalid') {
    return {
      status: 'error',
      reason:
        r.error ??
        `the load generator could not drive ${last?.level} ${unit}: ${last?.invalidReason ?? 'invalid step'}`,
    };
  }
  const ceiling = s.capacityCeiling
    ? `capacity ceiling ${s.capacityCeiling.users} ${unit} at ${s.capacityCeiling.goodputRps} req/s`
    : 'no passing step';
  const breaking = s.breakingPoint
    ? `breaking point ${s.breakingPoint.users} ${unit} (${s.breakingPoint.criterion}: observed ${round(s.breakingPoint.observed)})`
    : `no breaking point up to ${last?.level ?? 0} ${unit}`;
  return { status: 'pass', reason: `${breaking}; ${ceiling}; throughput ceiling ${s.maxThroughputRps} req/s` };
}

/** The spike phase: recovered in how long, or did not (P1), or crashed (P1). */
export function spikeOutcome(r: SpikeResult | PhaseError): PhaseOutcome {
  if (!('users' in r)) return { status: 'error', reason: r.error };
  if (r.error) return { status: 'error', reason: r.error };
  if (r.aborted) return { status: 'aborted', reason: 'aborted during the spike test' };
  if (r.crashed)
    return { status: 'fail', reason: `target failed its health check after a spike to ${r.users} users (P1)` };
  if (!r.recovered)
    return {
      status: 'fail',
      reason: `did not recover within ${r.withinS} s after a spike to ${r.users} users (P1); ${r.errorsDuringSpike} errors during the spike`,
    };
  return {
    status: 'pass',
    reason: `recovered in ${r.recoveryTimeS} s after a spike to ${r.users} users; ${r.errorsDuringSpike} errors during the spike`,
  };
}

/**
 * The baseline phase from its load phases' results: an error when a phase was invalid (the generator could not
 * drive it), a failure naming each threshold broken and its observed value, otherwise a pass.
 */
export function baselineOutcome(results: BaselinePhaseResult[]): PhaseOutcome {
  const invalid = results.filter((r) => r.assessment === 'invalid');
  if (invalid.length)
    return { status: 'error', reason: invalid.map((r) => `${r.name}: invalid, ${r.notes.join('; ')}`).join('; ') };
  const failed = results.filter((r) => r.assessment === 'fail');
  if (failed.length) {
    const broken = (r: BaselinePhaseResult) => [
      ...r.thresholds
        .filter((t) => !t.ok)
        .map(
          (t) =>
            `${t.threshold}${t.endpoint ? ` {endpoint: ${t.endpoint}}` : t.flow ? ` {flow: ${t.flow}}` : ''} (observed ${round(t.observed)})`,
        ),
      ...r.notes,
    ];
    return {
      status: 'fail',
      reason: failed.map((r) => `${r.name}: ${broken(r).join(', ') || 'no requests completed'}`).join('; '),
    };
  }
  return { status: 'pass', reason: `${results.length} phases within thresholds` };
}

/**
 * The checklist phase: passes when every manual item was attested or waived. When the campaign stopped before it
 * (`stopped`: a skipping gate or an abort) it is that stop, unless nothing was missing anyway.
 */
export function checklistOutcome(args: {
  missing: number;
  manualItems: number;
  hadDeadline: boolean;
  stopped?: PhaseOutcome;
}): PhaseOutcome {
  if (args.missing && args.stopped) return args.stopped;
  if (args.missing)
    return {
      status: 'fail',
      reason: `${args.missing} of ${args.manualItems} manual items neither attested nor waived${args.hadDeadline ? ' by the deadline' : ''}`,
    };
  return { status: 'pass', reason: `${args.manualItems} manual items attested or waived` };
}

/**
 * The "current details" the Web UI shows for a campaign (Temporal markdown, via the built-in metadata query):
 * phase, step, what it waits for, and at the end the decision.
 */
export function currentDetails(
  p: CampaignProgress,
  verdict?: { decision: string; scorePct: number; blockers?: string[] },
): string {
  const lines = [`**Phase:** ${p.phase}`];
  if (p.step) lines.push(`**Step:** ${p.step}${p.stepCount ? ` (${(p.stepIndex ?? 0) + 1}/${p.stepCount})` : ''}`);
  const missing = p.phase === 'checklist' ? (p.checklist?.missing ?? []) : [];
  if (missing.length)
    lines.push(
      `**Manual items missing:** ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}`,
    );
  if (p.abortedBy) lines.push(`**Aborted by:** ${p.abortedBy}`);
  if (verdict) {
    lines.push(
      `**Decision:** ${verdict.decision}, score ${verdict.scorePct}%${verdict.blockers?.length ? ` (${verdict.blockers.length} blockers)` : ''}`,
    );
    lines.push(`**Phases:** ${PHASES.map((ph) => `${ph} ${p.phases[ph].status}`).join(', ')}`);
  }
  return lines.map((l) => `- ${l}`).join('\n');
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
