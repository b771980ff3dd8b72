/**
 * Process exit codes of the `readiness` CLI. Documented in the README's table and tested;
 * scripts and CI gates branch on them.
 */
export const EXIT = {
  /** The campaign's verdict is GO (or the command succeeded). */
  GO: 0,
  /** The command could not run: infrastructure or internal error. */
  COULD_NOT_RUN: 1,
  /** Invalid input: a campaign file, an argument, an unknown or conflicting campaign id. */
  INVALID_INPUT: 2,
  /** The campaign's verdict is NO_GO. */
  NO_GO: 3,
  /** The campaign's verdict is CONDITIONAL_GO. */
  CONDITIONAL_GO: 4,
} as const;

/** Maps a decision to its exit code. */
export function exitCodeForDecision(decision: 'GO' | 'CONDITIONAL_GO' | 'NO_GO'): number {
  return decision === 'GO' ? EXIT.GO : decision === 'CONDITIONAL_GO' ? EXIT.CONDITIONAL_GO : EXIT.NO_GO;
}
