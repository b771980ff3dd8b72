/**
 * Whether a load generator kept up. A saturated generator looks like a slow target; a phase or step it
 * could not drive is `invalid` (with the reason), never reported as the target's failure.
 */

/** Limits past which a run is invalid. */
const GENERATOR_LIMITS = {
  /** Event-loop delay p99 of a load thread in any second (ms). */
  eventLoopDelayP99Ms: 250,
  /** Open model: scheduling lag p99 with capacity available (ms). */
  schedulerLagP99Ms: 250,
  /** Open model: achieved start rate over intended, when the shortfall is the generator's. */
  minAchievedRatio: 0.9,
  /** Mean event-loop utilisation of the load threads: above it they were busy, not waiting on the target. */
  maxEluMean: 0.9,
};

/** What the generator measured about itself. */
export interface GeneratorObservation {
  model: 'closed' | 'open';
  eventLoopDelayP99Ms: number;
  schedulerLagP99Ms: number;
  eluMean: number;
  /** Open model: iterations started per second, and intended per second. */
  achievedRate?: number;
  intendedRate?: number;
}

/** Judges generator health; `valid: false` comes with every reason. */
export function assessGenerator(o: GeneratorObservation): { valid: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (o.eventLoopDelayP99Ms > GENERATOR_LIMITS.eventLoopDelayP99Ms) {
    reasons.push(
      `load generator event-loop delay p99 ${o.eventLoopDelayP99Ms.toFixed(0)} ms > ${GENERATOR_LIMITS.eventLoopDelayP99Ms} ms: the generator was saturated`,
    );
  }
  const busy = o.eluMean > GENERATOR_LIMITS.maxEluMean;
  if (busy)
    reasons.push(
      `load threads were busy ${(o.eluMean * 100).toFixed(0)}% of the time (> ${GENERATOR_LIMITS.maxEluMean * 100}%): the generator, not the target, set the pace`,
    );
  if (o.model === 'open') {
    if (o.schedulerLagP99Ms > GENERATOR_LIMITS.schedulerLagP99Ms) {
      reasons.push(
        `load generator started requests late (scheduling lag p99 ${o.schedulerLagP99Ms.toFixed(0)} ms > ${GENERATOR_LIMITS.schedulerLagP99Ms} ms)`,
      );
    }
    // A shortfall while the threads were idle is the target's doing (no capacity left: dropped iterations);
    // a shortfall while they were busy is the generator's.
    const intended = o.intendedRate ?? 0;
    const achieved = o.achievedRate ?? 0;
    if (busy && intended > 0 && achieved < GENERATOR_LIMITS.minAchievedRatio * intended) {
      reasons.push(`load generator achieved ${achieved.toFixed(1)} of ${intended.toFixed(1)} intended iterations/s`);
    }
  }
  return { valid: reasons.length === 0, reasons };
}
