import { CommanderError } from 'commander';
import {
  CampaignAlreadyRunningError,
  ConfigError,
  EnvironmentError,
  InfrastructureError,
  UnknownCampaignError,
} from '../core/errors';
import { EXIT } from '../core/exit-codes';

/** Thrown by commands to end with a specific exit code after printing `message` to stderr. */
export class CliExit extends Error {
  constructor(
    public readonly code: number,
    message = '',
  ) {
    super(message);
    this.name = 'CliExit';
  }
}

/** Prints an error for a person and returns the exit code it maps to. */
export function reportFailure(err: unknown): number {
  if (err instanceof CliExit) {
    if (err.message) process.stderr.write(`${err.message}\n`);
    return err.code;
  }
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.GO : EXIT.INVALID_INPUT;
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    return EXIT.INVALID_INPUT;
  }
  if (
    err instanceof UnknownCampaignError ||
    err instanceof CampaignAlreadyRunningError ||
    err instanceof EnvironmentError
  ) {
    process.stderr.write(`error: ${err.message}\n`);
    return EXIT.INVALID_INPUT;
  }
  if (err instanceof InfrastructureError) {
    process.stderr.write(`error: ${err.message}\n`);
    return EXIT.COULD_NOT_RUN;
  }
  const e = err as Error;
  process.stderr.write(`error: ${e?.message ?? String(err)}\n`);
  if (process.env.READINESS_DEBUG) process.stderr.write(`${e?.stack}\n`);
  return EXIT.COULD_NOT_RUN;
}
