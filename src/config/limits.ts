/**
 * What one campaign may ask of Temporal's histories. Every workflow of a campaign keeps its history under
 * Temporal's warning (10,240 events, 10 MB) and every payload under 64 KiB: the campaign workflow's input is
 * the campaign itself (and its resolved checklist), each generator slice and each stress step costs events, and
 * each endpoint is a row of every phase result that comes back into history. Pure: used by the CLI and by the
 * workflow itself (for campaigns started directly).
 */
import { checklistSections, resolveChecklist } from '../core/checklist';
import type { ConfigProblem } from '../core/errors';
import type { Campaign } from './schema';
import { scenarioRequests } from './scenario';

/** The bounds, and why each exists (the figures are in test/integration/history-bounds.test.ts). */
export const HISTORY_LIMITS = {
  /** Requests of the scenario: each is an endpoint row in every phase's result. */
  requests: 100,
  /** Baseline phases: each costs a load step, a finalize activity and its events. */
  baselinePhases: 20,
  /** Generator slices over all baseline phases: each is an activity (about 6 events). */
  generatorSlices: 128,
  /** Steps of a linear stress ramp (from startUsers to maxUsers by stepUsers): each costs about 14 events. */
  linearSteps: 100,
  /** Step attempts the stress workflow runs at most (the downward search and re-runs of invalid steps included). */
  stressStepAttempts: 150,
  /** Service recovery drills. */
  serviceRecoveries: 20,
  /** The campaign workflow's input (the campaign and its resolved checklist) as JSON, in bytes. */
  inputBytes: 48 * 1024,
} as const;

/** Steps a linear ramp would take from startUsers to maxUsers. */
export function linearStepCount(s: { startUsers: number; stepUsers: number; maxUsers: number }): number {
  return Math.ceil(Math.max(0, s.maxUsers - s.startUsers) / s.stepUsers) + 1;
}

const WHY =
  "every workflow history of a campaign stays under Temporal's warning (10,240 events; payloads under 64 KiB)";

/** Every bound a valid campaign exceeds, each as a problem naming the field, the figure and what to change. */
export function historyProblems(campaign: Campaign): ConfigProblem[] {
  const L = HISTORY_LIMITS;
  const out: ConfigProblem[] = [];
  const requests = scenarioRequests(campaign.scenario).length;
  if (requests > L.requests) {
    out.push({
      path: 'scenario.requests',
      message: `${requests} requests (flow steps written in place included), at most ${L.requests}: each is an endpoint in every phase's result, and ${WHY}`,
    });
  }
  const phases = campaign.baseline?.phases ?? [];
  if (phases.length > L.baselinePhases) {
    out.push({
      path: 'baseline.phases',
      message: `${phases.length} phases, at most ${L.baselinePhases}, so that ${WHY}`,
    });
  }
  const slices = phases.reduce((n, p) => n + p.generators, 0);
  if (slices > L.generatorSlices) {
    out.push({
      path: 'baseline.phases',
      message: `${slices} generators over all phases, at most ${L.generatorSlices}: each is an activity, and ${WHY}`,
    });
  }
  const st = campaign.stress;
  if (st && st.mode === 'linear' && linearStepCount(st) > L.linearSteps) {
    out.push({
      path: 'stress.stepUsers',
      message: `the ramp from ${st.startUsers} to ${st.maxUsers} by ${st.stepUsers} takes ${linearStepCount(st)} steps, at most ${L.linearSteps}: raise stepUsers, narrow the range or use mode: adaptive, so that ${WHY}`,
    });
  }
  const drills = campaign.backup?.serviceRecovery.length ?? 0;
  if (drills > L.serviceRecoveries) {
    out.push({
      path: 'backup.serviceRecovery',
      message: `${drills} drills, at most ${L.serviceRecoveries}, so that ${WHY}`,
    });
  }
  const bytes = new TextEncoder().encode(
    JSON.stringify({ campaign, checklist: resolveChecklist(campaign.checklist, checklistSections(campaign)).items }),
  ).length;
  if (bytes > L.inputBytes) {
    out.push({
      path: '(file)',
      message: `the campaign and its checklist are ${Math.ceil(bytes / 1024)} KiB as JSON, at most ${L.inputBytes / 1024} KiB: it is the campaign workflow's input (shorten request bodies, vars lists or checklist texts), and ${WHY}`,
    });
  }
  return out;
}
