import { PHASES, type PhaseName, type PhaseOutcome, type Verdict } from './types';

/** Score at or above which the campaign can be GO (percent). */
export const GO_AT_PCT = 90;
/** Score below which the campaign is NO_GO (percent). */
export const CONDITIONAL_AT_PCT = 75;

/**
 * Scores a campaign from its phase outcomes. Each phase weighs the same; only `pass` earns points,
 * so a phase that did not run or could not be evaluated counts against readiness (fail closed).
 * NO_GO when a phase failed, errored or was aborted, or the score is under 75 %; CONDITIONAL_GO
 * under 90 %; GO otherwise. The checklist issue replaces this with item-level scoring.
 */
export function computeVerdict(phases: Record<PhaseName, PhaseOutcome>): Verdict {
  const reasons: string[] = [];
  const blockers: string[] = [];
  let earned = 0;
  for (const name of PHASES) {
    const outcome = phases[name];
    if (outcome.status === 'pass') {
      earned += 1;
      continue;
    }
    const line = `${name}: ${outcome.status}${outcome.reason ? ` (${outcome.reason})` : ''}`;
    reasons.push(line);
    if (outcome.status === 'fail' || outcome.status === 'error' || outcome.status === 'aborted') blockers.push(line);
  }
  const scorePct = Math.round((earned / PHASES.length) * 1000) / 10;
  let decision: Verdict['decision'];
  if (blockers.length > 0) decision = 'NO_GO';
  else if (scorePct < CONDITIONAL_AT_PCT) decision = 'NO_GO';
  else if (scorePct < GO_AT_PCT) decision = 'CONDITIONAL_GO';
  else decision = 'GO';
  if (scorePct < GO_AT_PCT) reasons.push(`score ${scorePct}% is below ${decision === 'NO_GO' && scorePct < CONDITIONAL_AT_PCT ? CONDITIONAL_AT_PCT : GO_AT_PCT}%`);
  return { decision, scorePct, blockers, reasons };
}
