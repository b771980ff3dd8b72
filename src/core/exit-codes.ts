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

/** What each exit code means, as `readiness --help` prints it (one line per code, in order). */
const EXIT_MEANING: Record<keyof typeof EXIT, string> = {
  GO: 'GO (or the command succeeded)',
  COULD_NOT_RUN: 'could not run (infrastructure or internal error)',
  INVALID_INPUT: 'invalid input (campaign file, arguments, unknown or reused campaign id)',
  NO_GO: 'NO_GO',
  CONDITIONAL_GO: 'CONDITIONAL_GO',
};

/** The exit-code table of the CLI's help, generated from {@link EXIT} and {@link EXIT_MEANING}. */
export function exitCodeHelp(): string {
  const rows = (Object.keys(EXIT) as Array<keyof typeof EXIT>)
    .sort((a, b) => EXIT[a] - EXIT[b])
    .map((k) => `  ${EXIT[k]}  ${EXIT_MEANING[k]}`);
  return `\nExit codes:\n${rows.join('\n')}`;
}

/** Maps a decision to its exit code. */
export function exitCodeForDecision(decision: 'GO' | 'CONDITIONAL_GO' | 'NO_GO'): number {
  return decision === 'GO' ? EXIT.GO : decision === 'CONDITIONAL_GO' ? EXIT.CONDITIONAL_GO : EXIT.NO_GO;
}
